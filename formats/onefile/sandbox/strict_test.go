package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSearchMode(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want SearchMode
		err  bool
	}{
		{"summary", SearchSummary, false},
		{" FULL ", SearchFull, false},
		{"", "", true},
		{"partial", "", true},
	} {
		got, err := ParseSearchMode(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSearchMode(%q) = %q, %v", tt.in, got, err)
		}
	}
	if SearchMode("").String() != "summary" {
		t.Errorf("the zero mode reads as %q, want summary (the default)", SearchMode("").String())
	}
}

// TestSearchMode: in summary mode a user search answers only what real centres answer, GET
// /User/{id} still answers everything; in full mode both answer everything.
func TestSearchMode(t *testing.T) {
	full := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	allOfAda := []string{"ClassroomID", "DOB", "DefaultAssessorID", "Email", "FirstName", "ID", "LastModified", "LastName",
		"MISID", "OrganisationID", "PlacementID", "Role", "ULN", "Username"}
	for _, tt := range []struct {
		mode       SearchMode
		wantSearch []string
	}{
		{"", []string{"DefaultAssessorID", "Email", "FirstName", "ID", "LastName", "MISID", "Role"}},
		{SearchSummary, []string{"DefaultAssessorID", "Email", "FirstName", "ID", "LastName", "MISID", "Role"}},
		{SearchFull, allOfAda},
	} {
		t.Run(tt.mode.String()+"/"+string(tt.mode), func(t *testing.T) {
			c := startSandbox(t, Config{SearchMode: tt.mode}).login()
			id := c.createOK(with(learner("SM-1"), "ULN", "1000000043", "DOB", "2007-05-04"))
			for _, path := range []string{"/User/Search", "/User/Search/1/10"} {
				var rows []map[string]any
				c.call("POST", path, obj{"MISID": "SM-1"}).json(t, &rows)
				if len(rows) != 1 {
					t.Fatalf("%s: %d rows", path, len(rows))
				}
				if got := full(rows[0]); !slices.Equal(got, tt.wantSearch) {
					t.Errorf("%s answers %v, want %v", path, got, tt.wantSearch)
				}
				if rows[0]["ID"] != float64(id) || rows[0]["Role"] != float64(1) || rows[0]["DefaultAssessorID"] != float64(1001) {
					t.Errorf("%s answers %v", path, rows[0])
				}
			}
			var u map[string]any
			c.call("GET", fmt.Sprintf("/User/%d", id), nil).json(t, &u)
			if got := full(u); !slices.Equal(got, allOfAda) {
				t.Errorf("GET /User/%d answers %v, want every field %v", id, got, allOfAda)
			}
			// A staff member has no DefaultAssessorID: the summary leaves it out rather
			// than answering a zero that would read as "none".
			var staffRows []map[string]any
			c.call("POST", "/User/Search", obj{"MISID": "STF-001"}).json(t, &staffRows)
			if _, ok := staffRows[0]["DefaultAssessorID"]; ok || len(staffRows) != 1 {
				t.Errorf("staff row %v carries a DefaultAssessorID", staffRows)
			}
		})
	}
}

// TestFaultLag: with lag=DUR, a created user is missing from user searches until DUR has
// passed, while GET /User/{id} finds it at once; seeded users are not affected.
func TestFaultLag(t *testing.T) {
	const lag = 400 * time.Millisecond
	c := startSandbox(t, Config{Faults: FaultSpec{Lag: lag}}).login()
	created := time.Now()
	id := c.createOK(learner("LAG-1"))
	if r := c.call("POST", "/User/Search", obj{"MISID": "LAG-1"}); r.status != 204 && time.Since(created) < lag {
		t.Fatalf("a user created just now is found by search: %d %s", r.status, r.body)
	}
	if r := c.call("POST", "/User/Search/1/100", obj{"OrganisationID": 5740}); r.status != 200 || strings.Contains(string(r.body), "LAG-1") {
		t.Errorf("paged search during the lag: %d %s", r.status, r.body)
	}
	if r := c.call("GET", fmt.Sprintf("/User/%d", id), nil); r.status != 200 || !strings.Contains(string(r.body), "LAG-1") {
		t.Errorf("GET /User/%d during the lag: %d %s", id, r.status, r.body)
	}
	if r := c.call("POST", "/User/Search", obj{"MISID": "L-0001"}); r.status != 200 {
		t.Errorf("a seeded user is hidden by the lag: %d", r.status)
	}
	// An update of the hidden user works: the lag is the search index's, not the database's.
	if r := c.call("POST", fmt.Sprintf("/User/%d", id), obj{"LastName": "King"}); r.status != 204 {
		t.Errorf("update during the lag: %d %s", r.status, r.body)
	}
	found := false
	for deadline := created.Add(lag + 5*time.Second); !found && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r := c.call("POST", "/User/Search", obj{"MISID": "LAG-1"})
		found = r.status == 200
		if found && time.Since(created) < lag {
			t.Fatalf("found after %v, before the lag of %v", time.Since(created), lag)
		}
	}
	if !found {
		t.Fatal("the user never appeared in searches")
	}
	if spec, err := ParseFaultSpec("lag=2s,seed=3"); err != nil || spec.Lag != 2*time.Second || spec.String() != "seed=3,lag=2s" {
		t.Errorf("lag=2s parses as %+v (%q), %v", spec, spec.String(), err)
	}
}

// TestRefusals: what the guides do not allow is refused on create and on update alike, and
// a refused call changes nothing.
func TestRefusals(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	learnerID := c.createOK(learner("R-L"))
	staffID := c.createOK(staff(RoleAssessor, "R-S"))
	employerID := c.createOK(staff(RoleEmployer, "R-E"))
	for _, tt := range []struct {
		name, path string
		body       any // a string goes as is
		status     int
		want       string
	}{
		{"create: learner field on an assessor", "/User", with(staff(5, "R1"), "StartOn", "2026-09-01"), 400, "StartOn applies to learners only"},
		{"create: placement on an assessor", "/User", with(staff(5, "R2"), "PlacementID", 201), 400, "PlacementID applies to learners, employers and observers only"},
		{"create: placement on an IQA", "/User", with(staff(10, "R3"), "PlacementID", 201), 400, "PlacementID applies to"},
		{"create: placement on a trainee assessor", "/User", with(staff(4, "R4"), "PlacementID", 201), 400, "PlacementID applies to"},
		{"create: null body", "/User", "null", 400, "not a JSON object"},
		{"create: array body", "/User", "[{}]", 400, "not a JSON object"},
		{"create: empty body", "/User", " ", 400, "not a JSON object"},
		{"create: a field twice in two cases", "/User", `{"OrganisationID":5740,"Role":5,"FirstName":"a","LastName":"b","Email":"a@b.example","MISID":"X1","misid":"X2"}`, 400, `MISID is given twice`},
		{"update: learner field on an assessor", fmt.Sprintf("/User/%d", staffID), obj{"ULN": "1000000043"}, 400, "ULN applies to learners only"},
		{"update: classroom on an employer", fmt.Sprintf("/User/%d", employerID), obj{"ClassroomID": 101}, 400, "ClassroomID applies to learners only"},
		{"update: placement on an assessor", fmt.Sprintf("/User/%d", staffID), obj{"PlacementID": 201}, 400, "PlacementID applies to"},
		{"update: unknown field", fmt.Sprintf("/User/%d", learnerID), obj{"Surname": "x"}, 400, `unknown field "Surname"`},
		{"update: not JSON", fmt.Sprintf("/User/%d", learnerID), "MISID=x", 400, "not a JSON object"},
		{"update: broken JSON", fmt.Sprintf("/User/%d", learnerID), `{"MISID": `, 400, "not a JSON object"},
		{"update: null body", fmt.Sprintf("/User/%d", learnerID), "null", 400, "not a JSON object"},
		{"update: empty body", fmt.Sprintf("/User/%d", learnerID), "", 400, "not a JSON object"},
		{"update: wrong type", fmt.Sprintf("/User/%d", learnerID), obj{"SupportFunding": "yes"}, 400, "SupportFunding must be true or false"},
		{"update: ID in the body", fmt.Sprintf("/User/%d", learnerID), obj{"ID": 5}, 400, "ID cannot be set"},
		{"update: placement on an employer", fmt.Sprintf("/User/%d", employerID), obj{"PlacementID": 202}, 204, ""},
		{"update: learner field on a learner", fmt.Sprintf("/User/%d", learnerID), obj{"ULN": "1000000043"}, 204, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := c.srv.Snapshot()
			r := c.call("POST", tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.status == 400 {
				if !strings.Contains(r.message(t), tt.want) {
					t.Errorf("message %s, want %q", r.body, tt.want)
				}
				after := c.srv.Snapshot()
				if len(after.Users) != len(before.Users) || !slices.EqualFunc(after.Users, before.Users, sameUser) {
					t.Errorf("a refused call changed the users")
				}
			}
		})
	}
}

func sameUser(a, b User) bool {
	return a.ID == b.ID && fmt.Sprint(a.Fields) == fmt.Sprint(b.Fields)
}

// TestContentType: a body sent as anything but JSON is refused with 415 before it reaches
// the endpoint (ASP.NET Web API has no formatter for it), so nothing is created.
func TestContentType(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	body := `{"OrganisationID":5740,"Role":5,"FirstName":"Ct","LastName":"Test","Email":"ct@x.example","MISID":"CT-%d"}`
	for i, tt := range []struct {
		contentType string
		status      int
	}{
		{"application/json", 200},
		{"application/json; charset=utf-8", 200},
		{"text/json", 200},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"", 415},
	} {
		t.Run(tt.contentType, func(t *testing.T) {
			before := users(c.srv)
			req, _ := http.NewRequest("POST", c.base+"/User", strings.NewReader(fmt.Sprintf(body, i)))
			req.Header.Set("X-TokenID", c.token)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("%d, want %d", resp.StatusCode, tt.status)
			}
			if created := users(c.srv) - before; created != map[bool]int{true: 1, false: 0}[tt.status == 200] {
				t.Errorf("%d users created", created)
			}
		})
	}
	if n := c.srv.Snapshot().Statuses["POST /User"][http.StatusUnsupportedMediaType]; n != 3 {
		t.Errorf("%d calls counted as 415, want 3", n)
	}
	// A search with no body needs no Content-Type.
	req, _ := http.NewRequest("POST", c.base+"/Classroom/Search", nil)
	req.Header.Set("X-TokenID", c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("bodiless search: %d", resp.StatusCode)
	}
}
