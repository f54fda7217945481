package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/httpx"
)

// ProbeWriteTest is what 'bulk probe onefile --write-test' did: the throwaway users it made and
// which reading of POST /User/{id}/Assign OneFile accepted.
type ProbeWriteTest struct {
	AssessorID int `json:"assessor_id"`
	LearnerID  int `json:"learner_id"`
	// Tried is each reading tried, in order, with OneFile's answer ("accepted" or its refusal).
	Tried []ProbeAttempt `json:"tried"`
	// Cleanup says which users were left and how to remove them.
	Cleanup string `json:"cleanup"`
}

// ProbeAttempt is one reading of the assignment path tried.
type ProbeAttempt struct {
	Reading string `json:"reading"`
	Answer  string `json:"answer"`
}

// writeTest creates a throwaway assessor and learner named bulk-probe-* in org (with the first
// classroom and placement), assigns the assessor to the learner at Level 1 with the assessor in
// the path and, if OneFile refuses that, with the learner in the path, and says which it took
// ("unknown" when it took neither).
func writeTest(ctx context.Context, c *api.Client, org int, classroom, placement int, stamp string) (string, *ProbeWriteTest, error) {
	if classroom == 0 || placement == 0 {
		return "unknown", nil, errors.New("the organisation has no classroom or no placement, which a test learner needs")
	}
	wt := &ProbeWriteTest{}
	misA, misL := "bulk-probe-A-"+stamp, "bulk-probe-L-"+stamp
	create := func(u api.UserFields) (int, error) {
		r, err := c.CreateUser(ctx, u)
		if err != nil {
			return 0, err
		}
		if r.ID != 0 {
			return r.ID, nil
		}
		// Keychain on: no ID in the answer. The search may lag behind the create: a few tries.
		for try := range 8 {
			us, err := c.FindUsers(ctx, api.UserFilter{OrganisationID: org, MISID: u.MISID})
			if err == nil && len(us) > 0 {
				return us[0].ID, nil
			}
			if err := httpx.Sleep(ctx, time.Duration(250<<try)*time.Millisecond); err != nil {
				return 0, err
			}
		}
		return 0, fmt.Errorf("created %s, but OneFile's search does not list it", u.MISID)
	}
	var err error
	if wt.AssessorID, err = create(api.UserFields{OrganisationID: org, Role: api.RoleAssessor, FirstName: "bulk-probe", LastName: "Assessor " + stamp,
		Email: misA + "@probe.example", MISID: misA}); err != nil {
		return "unknown", wt, fmt.Errorf("creating the test assessor: %w", err)
	}
	wt.Cleanup = fmt.Sprintf("archive the test users in OneFile: MISID %s (ID %d)", misA, wt.AssessorID)
	if wt.LearnerID, err = create(api.UserFields{OrganisationID: org, Role: api.RoleLearner, FirstName: "bulk-probe", LastName: "Learner " + stamp,
		Email: misL + "@probe.example", MISID: misL, DefaultAssessorID: wt.AssessorID, ClassroomID: classroom, PlacementID: placement}); err != nil {
		return "unknown", wt, fmt.Errorf("creating the test learner: %w", err)
	}
	wt.Cleanup = fmt.Sprintf("archive the test users in OneFile: MISIDs %s (ID %d) and %s (ID %d)", misA, wt.AssessorID, misL, wt.LearnerID)
	for _, reading := range []string{api.AssignPathAssignee, api.AssignPathLearner} {
		err := c.AssignAs(ctx, reading, wt.AssessorID, api.Assignment{LearnerID: wt.LearnerID, Level: api.LevelAdditional})
		if err == nil || errors.Is(err, api.ErrAlreadyAssigned) {
			wt.Tried = append(wt.Tried, ProbeAttempt{Reading: reading, Answer: "accepted"})
			return reading, wt, nil
		}
		wt.Tried = append(wt.Tried, ProbeAttempt{Reading: reading, Answer: err.Error()})
		var ae *api.APIError
		if !errors.As(err, &ae) || ae.Status >= 500 {
			return "unknown", wt, fmt.Errorf("the assignment with the %s in the path got no clear answer: %w", reading, err)
		}
	}
	return "unknown", wt, nil
}
