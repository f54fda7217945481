package sandbox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// TestCreateFollowsSchema: over real HTTP, the sandbox refuses a create that lacks any field the
// schema requires for the role, and one that gives a field the schema says the role does not
// take; it accepts each role's minimal create.
func TestCreateFollowsSchema(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	// A value of each type that the default seed accepts as a reference.
	sample := map[string]any{"PlacementID": 203, "ClassroomID": 101, "DefaultAssessorID": 1001, "DefaultEmployerID": 1005,
		"ProviderID": 12, "LearnerStatusID": 1, "SupportFunding": true}
	value := func(f schema.Field) any {
		if v, ok := sample[f.Name]; ok {
			return v
		}
		switch f.Type {
		case schema.Int:
			return 7
		case schema.Date:
			return "2026-09-01T00:00:00.000Z"
		case schema.Bool:
			return false
		}
		return "x"
	}
	n := 0
	for _, r := range schema.Roles {
		base := staff(r.ID, fmt.Sprintf("SCH-%d", r.ID))
		if r.Learner {
			base = learner(fmt.Sprintf("SCH-%d", r.ID))
		}
		for _, name := range schema.Required(r.ID) {
			if name == "Role" {
				continue // without a Role it is no longer this role's create
			}
			got := c.call("POST", "/User", with(base, name, nil))
			if got.status != 400 || !strings.Contains(got.message(t), name+" is required") {
				t.Errorf("role %d without %s: %d %s", r.ID, name, got.status, got.body)
			}
		}
		for _, f := range schema.UserFields {
			if f.Takes.Has(r.ID) {
				continue
			}
			got := c.call("POST", "/User", with(base, f.Name, value(f)))
			if got.status != 400 || !strings.Contains(got.message(t), f.Name) {
				t.Errorf("role %d given %s, which it does not take: %d %s", r.ID, f.Name, got.status, got.body)
			}
			n++
		}
		c.createOK(base)
	}
	if n == 0 {
		t.Error("no field was refused for any role")
	}
}
