package onefile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// runSettled validates tables as a load whose target profile settles the role guesses does.
func runSettled(t *testing.T, settings map[string]bool, tables ...tbl) *collector {
	t.Helper()
	defer pipeline.SetClock(func() time.Time { return testNow })()
	rules, err := schema.NewRoleRules(settings)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{rejected: map[string]bool{}}
	opts := pipeline.Options{Among: []*pipeline.Kind{Users, Assignments}, Reporter: c, Workers: 2, BatchSize: 3, Settings: rules}
	if err := pipeline.Run(context.Background(), []pipeline.Input{input(tables...)}, opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c
}

// TestRoleGuessesSettled: each role the guides do not name is refused or taken as the target
// profile says, by the row rule (UserRole given) and by the cross-row check (the user's row in
// the files), with a message naming the setting when it is refused.
func TestRoleGuessesSettled(t *testing.T) {
	iqaDefault := []tbl{staffSheet, learners(learner("DefaultAssessorEmail=ruth.iqbal@ng.example"))}
	traineeDefault := []tbl{staffSheet, learners(learner("DefaultAssessorEmail=tia.ng@ng.example"))}
	traineeAssigned := []tbl{staffSheet, learnerSheet, assignments(
		assign("LearnerMISID=L001", "UserEmail=tia.ng@ng.example", "Level=3", "StandardID=12"),
		assign("LearnerID=5001", "UserID=6001", "UserRole=4", "Level=1"),
	)}
	tests := []struct {
		name      string
		settings  map[string]bool
		tables    []tbl
		want      []string
		fragments []string
	}{
		{name: "IQA as default assessor: refused by default", tables: iqaDefault,
			want: []string{"Learners:2:DefaultAssessorEmail:reference:error"},
			fragments: []string{"an IV/IQA (Role 10); a default assessor must be a Trainee Assessor or an Assessor/Tutor (Role 4 or 5).",
				"set iqa-default-assessor: true under roles: in the target profile ('bulk probe onefile --write-test' finds out on beta; docs/guesses.md G22)"}},
		{name: "IQA as default assessor: taken when the profile says so", settings: map[string]bool{"iqa-default-assessor": true}, tables: iqaDefault},
		{name: "trainee as default assessor: taken by default", tables: traineeDefault},
		{name: "trainee as default assessor: refused when the profile says so", settings: map[string]bool{"trainee-default-assessor": false}, tables: traineeDefault,
			want:      []string{"Learners:2:DefaultAssessorEmail:reference:error"},
			fragments: []string{"a default assessor must be an Assessor/Tutor (Role 5).", "set trainee-default-assessor: true"}},
		{name: "trainee assigned: taken at every level by default", tables: traineeAssigned},
		{name: "trainee assigned: refused when the profile says so", settings: map[string]bool{"trainee-assessor-any-level": false}, tables: traineeAssigned,
			want: []string{"Assignments:2:UserEmail:reference:error", "Assignments:3:UserRole:role:error"},
			fragments: []string{"Levels 3 (Learning Aim) and 2 (Unit Summary) are for Assessors/Tutors and IV/IQAs (Roles 5, 10)",
				"Level 1 (Additional) is for Assessors/Tutors, IV/IQAs, Employers and Observers (Roles 5, 10, 40, 45).",
				"set trainee-assessor-any-level: true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, runSettled(t, tc.settings, tc.tables...), tc.want, tc.fragments...)
		})
	}
}

// TestRoleHintOnlyForGuesses: a role the guides rule out (an employer as default assessor) gets
// no hint to relax anything: no setting would make OneFile take it.
func TestRoleHintOnlyForGuesses(t *testing.T) {
	c := runSettled(t, nil, staffSheet, learners(learner("DefaultAssessorEmail=rhys.hughes@harrowdental.example")))
	for _, p := range c.problems {
		if strings.Contains(p.Message, "target profile") {
			t.Errorf("hint on a role no guess covers: %s", p.Message)
		}
	}
	if len(c.problems) == 0 {
		t.Fatal("an employer as default assessor was not refused")
	}
}
