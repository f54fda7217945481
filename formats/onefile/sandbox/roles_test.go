package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// TestRoleSettings: the sandbox takes or refuses the roles the guides do not name as
// Config.Roles settles them, with the same defaults as validation (schema.RoleGuesses).
func TestRoleSettings(t *testing.T) {
	const iqa, trainee = 1003, 1004
	tests := []struct {
		name       string
		roles      map[string]bool
		iqaDefault bool // an IQA as a new learner's DefaultAssessorID
		traineeDef bool // a trainee assessor as DefaultAssessorID
		traineeL2  bool // a trainee assessor assigned at Level 2
	}{
		{"defaults", nil, false, true, true},
		{"IQA default assessor allowed", map[string]bool{"iqa-default-assessor": true}, true, true, true},
		{"trainees refused", map[string]bool{"trainee-default-assessor": false, "trainee-assessor-any-level": false}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := startSandbox(t, Config{Roles: tc.roles}).login()
			for i, k := range []struct {
				assessor int
				want     bool
			}{{iqa, tc.iqaDefault}, {trainee, tc.traineeDef}} {
				r := c.call("POST", "/User", with(learner(fmt.Sprintf("R%d", i)), "DefaultAssessorID", k.assessor))
				if got := r.status == 200; got != k.want {
					t.Errorf("default assessor %d: %d %s, want accepted=%v", k.assessor, r.status, r.body, k.want)
				}
				if !k.want && !strings.Contains(r.message(t), "is not an assessor") {
					t.Errorf("refusal says %s", r.body)
				}
			}
			learnerID := c.createOK(learner("R-assign"))
			r := c.call("POST", fmt.Sprintf("/User/%d/Assign", trainee), obj{"LearnerID": learnerID, "Level": 2, "UnitID": "KS_COMM1"})
			if got := r.status == 204; got != tc.traineeL2 {
				t.Errorf("trainee at Level 2: %d %s, want accepted=%v", r.status, r.body, tc.traineeL2)
			}
		})
	}
}

func TestRoleSettingsUnknownPanics(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "iqa-default-assessor") {
			t.Errorf("New with an unknown role setting: %v", v)
		}
	}()
	New(Config{Roles: map[string]bool{"iqa-as-assessor": true}})
}
