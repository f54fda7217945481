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
	// Roles are the role guesses (schema.RoleGuesses, by name) OneFile's answers settled: true
	// when it took the role there, false when it refused it; RolesTried says what was tried.
	Roles      map[string]bool `json:"roles,omitempty"`
	RolesTried []ProbeAttempt  `json:"roles_tried,omitempty"`
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
func writeTest(ctx context.Context, c *api.Client, org int, classroom, placement, standard int, stamp string) (string, *ProbeWriteTest, error) {
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
			// The path is settled whatever becomes of the roles: a role test that gets no clear
			// answer leaves those guesses unsettled (and says so) rather than losing the path.
			if err := probeRoles(ctx, c, wt, create, reading, org, standard, stamp); err != nil {
				wt.RolesTried = append(wt.RolesTried, ProbeAttempt{Reading: "role guesses", Answer: "not all settled: " + err.Error()})
			}
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

// probeRoles settles the role guesses the guides leave open (docs/guesses.md G20-G22) with two
// more throwaway users, a trainee assessor and an IQA: it assigns the trainee to the test learner
// at Level 1 and, when the organisation has a standard, at Level 3 (trainee-assessor-any-level),
// then makes each the learner's default assessor in turn (trainee-default-assessor,
// iqa-default-assessor) and puts the test assessor back. A clear refusal (4xx) settles a guess
// as false, acceptance as true; any other answer leaves it unsettled and stops.
func probeRoles(ctx context.Context, c *api.Client, wt *ProbeWriteTest, create func(api.UserFields) (int, error), reading string, org, standard int, stamp string) error {
	wt.Roles = map[string]bool{}
	// try records an attempt; settled is false when the answer was not a clear yes or no.
	try := func(name, what string, err error) (ok, settled bool, _ error) {
		if err == nil || errors.Is(err, api.ErrAlreadyAssigned) {
			wt.RolesTried = append(wt.RolesTried, ProbeAttempt{Reading: name + ": " + what, Answer: "accepted"})
			return true, true, nil
		}
		wt.RolesTried = append(wt.RolesTried, ProbeAttempt{Reading: name + ": " + what, Answer: err.Error()})
		var ae *api.APIError
		if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
			return false, true, nil
		}
		return false, false, fmt.Errorf("%s: no clear answer: %w", what, err)
	}
	misT, misQ := "bulk-probe-T-"+stamp, "bulk-probe-Q-"+stamp
	trainee, err := create(api.UserFields{OrganisationID: org, Role: api.RoleTraineeAssessor, FirstName: "bulk-probe", LastName: "Trainee " + stamp,
		Email: misT + "@probe.example", MISID: misT})
	if err != nil {
		return fmt.Errorf("creating the test trainee assessor: %w", err)
	}
	wt.Cleanup += fmt.Sprintf(", %s (ID %d)", misT, trainee)
	const anyLevel, traineeDefault, iqaDefault = "trainee-assessor-any-level", "trainee-default-assessor", "iqa-default-assessor"
	taken := true
	levels := []api.Assignment{{LearnerID: wt.LearnerID, Level: api.LevelAdditional}}
	if standard != 0 {
		levels = append(levels, api.Assignment{LearnerID: wt.LearnerID, Level: api.LevelLearningAim, StandardID: standard})
	}
	for _, a := range levels {
		ok, _, err := try(anyLevel, fmt.Sprintf("trainee assessor assigned at Level %d", a.Level), c.AssignAs(ctx, reading, trainee, a))
		if err != nil {
			return err
		}
		taken = taken && ok
	}
	wt.Roles[anyLevel] = taken
	setDefault := func(id int) error {
		return c.UpdateUser(ctx, wt.LearnerID, api.UserUpdate{"DefaultAssessorID": id})
	}
	ok, _, err := try(traineeDefault, "trainee assessor as the learner's default assessor", setDefault(trainee))
	if err != nil {
		return err
	}
	wt.Roles[traineeDefault] = ok
	iqa, err := create(api.UserFields{OrganisationID: org, Role: api.RoleIQA, FirstName: "bulk-probe", LastName: "IQA " + stamp,
		Email: misQ + "@probe.example", MISID: misQ})
	if err != nil {
		return fmt.Errorf("creating the test IQA: %w", err)
	}
	wt.Cleanup += fmt.Sprintf(", %s (ID %d)", misQ, iqa)
	if ok, _, err = try(iqaDefault, "IQA as the learner's default assessor", setDefault(iqa)); err != nil {
		return err
	}
	wt.Roles[iqaDefault] = ok
	if err := setDefault(wt.AssessorID); err != nil {
		return fmt.Errorf("putting the test assessor back as the test learner's default assessor: %w", err)
	}
	return nil
}
