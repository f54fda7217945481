package profile

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	const root = "https://wsapibeta.onefile.co.uk/api/v2.1"
	if p, err := Read(dir, root, 5740); p != nil || err != nil {
		t.Fatalf("no profile yet: %+v %v", p, err)
	}
	want := &Profile{APIRoot: root, Organisation: 5740, ProbedAt: time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC), KeychainOn: true,
		SearchFields: []string{"Email", "ID"}, AssignPath: "learner"}
	path, err := Write(dir, want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(path, "wsapibeta.onefile.co.uk-api-v2.1-org5740-") {
		t.Errorf("path %s does not name the target", path)
	}
	got, err := Read(dir, root, 5740)
	if err != nil || got == nil || !got.KeychainOn || got.AssignPath != "learner" || len(got.SearchFields) != 2 || got.Assign() != "learner" {
		t.Fatalf("read back %+v %v", got, err)
	}
	// Another organisation, or another spelling of a root, is another profile.
	for _, other := range []struct {
		root string
		org  int
	}{{root, 5741}, {"https://wsapi.onefile.co.uk/api/v2.1", 5740}} {
		if p, err := Read(dir, other.root, other.org); p != nil || err != nil {
			t.Errorf("%s %d: %+v %v", other.root, other.org, p, err)
		}
	}
	// A hand-edited assign_path that is not a reading is refused with the file named.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "assign_path: learner", "assign_path: sideways", 1)), 0o600)
	if _, err := Read(dir, root, 5740); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad assign_path: %v", err)
	}
	var none *Profile
	if none.Assign() != "" || (&Profile{AssignPath: "unknown"}).Assign() != "" {
		t.Error("an unsettled path must leave the client's default")
	}
}

// TestRoles: a profile's roles: settle the role guesses for validation and the sandbox; a name
// that is not a guess is refused with the file named; no profile means bulk's defaults.
func TestRoles(t *testing.T) {
	dir := t.TempDir()
	const root = "https://wsapibeta.onefile.co.uk/api/v2.1"
	path, err := Write(dir, &Profile{APIRoot: root, Organisation: 1, AssignPath: "assignee",
		Roles: map[string]bool{"iqa-default-assessor": true, "trainee-assessor-any-level": false}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "roles:\n    iqa-default-assessor: true\n") {
		t.Errorf("written:\n%s", b)
	}
	p, err := Read(dir, root, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := p.RoleRules()
	if !r.DefaultAssessor(10) || r.Assign(3, 4) || !r.Assign(3, 5) {
		t.Errorf("rules from %v: IQA default %v, trainee L3 %v", p.Roles, r.DefaultAssessor(10), r.Assign(3, 4))
	}
	var none *Profile
	if d := none.RoleRules(); d.DefaultAssessor(10) || !d.Assign(3, 4) {
		t.Error("no profile must give bulk's defaults")
	}
	os.WriteFile(path, []byte(strings.Replace(string(b), "iqa-default-assessor", "iqa-as-assessor", 1)), 0o600)
	if _, err := Read(dir, root, 1); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "iqa-default-assessor") {
		t.Errorf("unknown role setting: %v", err)
	}
}
