package sandbox

import (
	"strconv"
	"strings"
	"testing"
)

// The learning-aim, framework-template and archive endpoints refuse what the real service
// would (as far as public clients show): an unknown standard or template is a 404, a user who
// is not a learner or is of another organisation is refused, and a repeat is refused as
// "already assigned" (the wording the client recognises).
func TestLearningAimEndpoints(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	other := c.createOK(with(learner("AIM-OTHER"), "OrganisationID", 5741, "ClassroomID", 151, "PlacementID", 251, "DefaultAssessorID", 1501))
	cases := []struct {
		name   string
		path   string
		status int
		want   string // in the message
	}{
		{"new aim", "/Standard/301/Assign/1010", 200, ""},
		{"repeat", "/Standard/301/Assign/1010", 400, "already assigned"},
		{"second standard", "/Standard/302/Assign/1010", 200, ""},
		{"unknown standard", "/Standard/999/Assign/1010", 404, "Standard"},
		{"unknown learner", "/Standard/301/Assign/424242", 404, "User"},
		{"assessor is not a learner", "/Standard/301/Assign/1001", 400, "not a learner"},
		{"learner of another organisation", "/Standard/301/Assign/" + strconv.Itoa(other), 400, "organisation"},
		{"template", "/FrameworkTemplate/401/Assign/1010/false", 204, ""},
		{"template repeat", "/FrameworkTemplate/401/Assign/1010/false", 400, "already assigned"},
		{"template change assigned", "/FrameworkTemplate/401/Assign/1010/true", 204, ""},
		{"template change not assigned", "/FrameworkTemplate/402/Assign/1010/true", 400, "not assigned"},
		{"template unknown", "/FrameworkTemplate/499/Assign/1010/false", 404, "FrameworkTemplate"},
		{"template bad flag", "/FrameworkTemplate/401/Assign/1010/maybe", 400, "true or false"},
		{"template for staff", "/FrameworkTemplate/401/Assign/1001/false", 400, "not a learner"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := c.call("POST", tt.path, nil)
			if r.status != tt.status {
				t.Fatalf("POST %s: %d %s, want %d", tt.path, r.status, r.body, tt.status)
			}
			if tt.want != "" && !strings.Contains(r.message(t), tt.want) {
				t.Errorf("POST %s: message %q, want it to say %q", tt.path, r.message(t), tt.want)
			}
		})
	}
	aims := c.srv.LearningAims()
	if len(aims) != 2 || aims[0].StandardID != 301 || aims[1].StandardID != 302 || aims[0].ID == aims[1].ID {
		t.Errorf("learning aims %+v: want one on 301 and one on 302, with their own IDs", aims)
	}
	if tas := c.srv.TemplateAssignments(); len(tas) != 1 || tas[0] != (TemplateAssignment{401, 1010}) {
		t.Errorf("template assignments %+v", tas)
	}
}

func TestNewLearningAimAnswersItsID(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	r := c.call("POST", "/Standard/301/Assign/1010", nil)
	var id int
	r.json(t, &id)
	if aims := c.srv.LearningAims(); len(aims) != 1 || aims[0].ID != id || id == 0 {
		t.Fatalf("answered %d; holds %+v", id, aims)
	}
}

// An archived user is not listed by User/Search, is still read by GET /User/{id}, cannot be put
// on a standard, and archiving again answers the same.
func TestArchive(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	id := c.createOK(learner("ARCH-1"))
	for range 2 {
		if r := c.call("POST", "/User/"+strconv.Itoa(id)+"/Archive", nil); r.status != 204 {
			t.Fatalf("archive: %d %s", r.status, r.body)
		}
	}
	if r := c.call("POST", "/User/999999/Archive", nil); r.status != 404 {
		t.Errorf("archive of nobody: %d", r.status)
	}
	var found []map[string]any
	if r := c.call("POST", "/User/Search", map[string]any{"MISID": "ARCH-1"}); r.status == 200 {
		r.json(t, &found)
	}
	if len(found) != 0 {
		t.Errorf("an archived user is still listed: %v", found)
	}
	if r := c.call("GET", "/User/"+strconv.Itoa(id), nil); r.status != 200 {
		t.Errorf("GET of an archived user: %d", r.status)
	}
	if r := c.call("POST", "/Standard/301/Assign/"+strconv.Itoa(id), nil); r.status != 400 || !strings.Contains(r.message(t), "archived") {
		t.Errorf("aim for an archived learner: %d %s", r.status, r.body)
	}
	if got := c.srv.Archived(); len(got) != 1 || got[0] != id {
		t.Errorf("Archived() = %v", got)
	}
}

// A seed file may give framework templates; bad or repeated ones are refused with the rest.
func TestSeedFrameworkTemplates(t *testing.T) {
	const base = "Customer: {ID: 1, Name: C}\nOrganisations:\n  - ID: 10\n    Name: O\n    FrameworkTemplates: "
	for _, tt := range []struct{ templates, want string }{
		{"[{ID: 7, Title: T}]", ""},
		{"[{ID: 7, Title: T}, {ID: 7, Title: U}]", "framework template ID 7 appears twice"},
		{"[{ID: 0, Title: T}]", "needs a positive ID and a Title"},
		{"[{ID: 7, Titel: T}]", "Titel"},
	} {
		seed, err := LoadSeed(strings.NewReader(base + tt.templates + "\n"))
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.templates, err)
				continue
			}
			c := startSandbox(t, Config{Seed: seed}).login()
			var got []map[string]any
			c.call("POST", "/FrameworkTemplate/Search", map[string]any{"OrganisationID": 10}).json(t, &got)
			if len(got) != 1 || got[0]["Title"] != "T" {
				t.Errorf("FrameworkTemplate/Search answered %v", got)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.templates, err, tt.want)
		}
	}
}
