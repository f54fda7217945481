package onefile

import (
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

var assignHeader = []string{"LearnerID", "LearnerMISID", "LearnerEmail", "UserID", "UserMISID", "UserEmail", "UserRole",
	"Level", "StandardID", "StandardTitle", "UnitID", "UnitTitle"}

// assign builds an assignment row from "Field=value" pairs.
func assign(over ...string) string {
	vals := map[string]string{}
	for _, o := range over {
		k, v, _ := strings.Cut(o, "=")
		vals[k] = v
	}
	cells := make([]string, len(assignHeader))
	for i, h := range assignHeader {
		cells[i] = vals[h]
	}
	return strings.Join(cells, "|")
}

func assignments(rows ...string) tbl {
	return tbl{sheet: "Assignments", header: strings.Join(assignHeader, "|"), rows: rows}
}

// learnerSheet has two learners, rows 2 and 3, whose assessor is on the staff sheet.
var learnerSheet = learners(
	learner(),
	learner("FirstName=Ben", "Email=ben@student.example", "MISID=L002", "ULN="),
)

func TestAssignmentRules(t *testing.T) {
	tests := []struct {
		name      string
		tables    []tbl
		want      []string
		fragments []string
	}{
		{name: "valid at every level", tables: []tbl{staffSheet, learnerSheet, assignments(
			assign("LearnerMISID=L001", "UserEmail=sam.patel@ng.example", "Level=3", "StandardTitle=Business Administrator"),
			assign("LearnerMISID=L001", "UserMISID=S002", "Level=2", "UnitID=KS_COMM1"),
			assign("LearnerEmail=ben@student.example", "UserEmail=rhys.hughes@harrowdental.example", "Level=1"),
			assign("LearnerID=5001", "UserID=6001", "Level=Learning Aim", "StandardID=12"),
			assign("LearnerMISID=L002", "UserMISID=S003", "UserRole=4", "Level=Level 2", "UnitTitle=Communication", "StandardTitle=Business Administrator"),
			assign("LearnerMISID=L002", "UserMISID=E002", "UserRole=Observer", "Level=1 Additional"),
		)}},
		{name: "level", tables: []tbl{assignments(
			assign("LearnerID=1", "UserID=2", "Level=4"),
			assign("LearnerID=1", "UserID=2", "Level=Unit Summary"),
			assign("LearnerID=1", "UserID=2", "Level="),
		)}, want: []string{"Assignments:2:Level:level:error", "Assignments:3:UnitID:required:error", "Assignments:4:Level:required:error"},
			fragments: []string{`Level "4" is not an assignment level: use 3 (Learning Aim), 2 (Unit Summary) or 1 (Additional).`,
				"A Unit Summary assignment (Level 2) needs the unit: fill UnitID or UnitTitle."}},
		{name: "level 3 without a standard", tables: []tbl{assignments(assign("LearnerID=1", "UserID=2", "Level=3"))},
			want:      []string{"Assignments:2:StandardID:required:error"},
			fragments: []string{"A Learning Aim assignment (Level 3) needs the standard: fill StandardID or StandardTitle."}},
		{name: "data the level does not take", tables: []tbl{assignments(
			assign("LearnerID=1", "UserID=2", "Level=1", "StandardTitle=Business Administrator"),
			assign("LearnerID=1", "UserID=3", "Level=3", "StandardID=4", "UnitID=KS_COMM1"),
		)}, want: []string{"Assignments:2:StandardTitle:level:warning", "Assignments:3:UnitID:level:warning"},
			fragments: []string{"An Additional assignment (Level 1) takes no standard or unit; StandardTitle will be ignored."}},
		{name: "learner and user needed", tables: []tbl{assignments(assign("Level=1"))},
			want: []string{"Assignments:2:LearnerID:required:error", "Assignments:2:UserID:required:error"},
			fragments: []string{"An assignment needs the learner: fill LearnerID, LearnerMISID or LearnerEmail.",
				"An assignment needs the user to assign: fill UserID, UserMISID or UserEmail."}},
		{name: "user role against the level", tables: []tbl{assignments(
			assign("LearnerID=1", "UserID=2", "UserRole=40", "Level=3", "StandardID=9"),
			assign("LearnerID=1", "UserID=3", "UserRole=Chef", "Level=1"),
			assign("LearnerID=1", "UserID=4", "UserRole=1", "Level=1"),
			assign("LearnerID=1", "UserID=5", "UserRole=45", "Level=1"),
		)}, want: []string{"Assignments:2:UserRole:role:error", "Assignments:3:UserRole:role:error", "Assignments:4:UserRole:role:error"},
			fragments: []string{"An Employer (Role 40) cannot be given a Learning Aim assignment (Level 3): Levels 3 (Learning Aim) and 2 (Unit Summary) are for Trainee Assessors"}},
		{name: "assigned to themselves", tables: []tbl{assignments(assign("LearnerMISID=L1", "UserMISID=l1", "Level=1"))},
			want: []string{"Assignments:2:UserMISID:reference:error", "Assignments:2:LearnerMISID:reference:warning"}},
		{name: "references into the users sheets", tables: []tbl{staffSheet, learnerSheet, assignments(
			assign("LearnerMISID=S001", "UserMISID=S002", "Level=1"),
			assign("LearnerMISID=L001", "UserEmail=ben@student.example", "Level=1"),
			assign("LearnerMISID=L001", "UserMISID=E001", "Level=2", "UnitID=U1"),
			assign("LearnerMISID=L009", "UserMISID=S009", "Level=1"),
		)}, want: []string{"Assignments:2:LearnerMISID:reference:error", "Assignments:3:UserEmail:reference:error",
			"Assignments:4:UserMISID:reference:error", "Assignments:5:LearnerMISID:reference:warning", "Assignments:5:UserMISID:reference:warning"},
			fragments: []string{`LearnerMISID "S001" names row 2 of term.xlsx, sheet Staff, an Assessor/Tutor (Role 5); users are assigned to learners (Role 1).`,
				`UserEmail "ben@student.example" names row 3 of term.xlsx, sheet Learners, a learner (Role 1); Level 1 (Additional) is for`,
				`UserMISID "E001" names row 4 of term.xlsx, sheet Staff, an Employer (Role 40); Levels 3`,
				`LearnerMISID "L009" is not in the files given`}},
		{name: "assignments before the users they name", tables: []tbl{assignments(
			assign("LearnerMISID=L001", "UserEmail=sam.patel@ng.example", "Level=3", "StandardTitle=BA"),
			assign("LearnerMISID=L001", "UserMISID=E001", "Level=3", "StandardTitle=BA"),
		), staffSheet, learnerSheet}, want: []string{"Assignments:3:UserMISID:reference:error"}},
		{name: "a rejected learner", tables: []tbl{staffSheet, learners(learner("ULN=1000000063")), assignments(
			assign("LearnerMISID=L001", "UserEmail=sam.patel@ng.example", "Level=1"),
		)}, want: []string{"Learners:2:ULN:uln:error", "Assignments:2:LearnerMISID:reference:error"},
			fragments: []string{"which is rejected"}},
		{name: "the same assignment twice", tables: []tbl{assignments(
			assign("LearnerID=1", "UserID=2", "Level=3", "StandardTitle=Business Administrator"),
			assign("LearnerID=1", "UserID=2", "Level=3", "StandardTitle=business administrator"),
			assign("LearnerID=1", "UserID=2", "Level=3", "StandardTitle=Team Leader"),
			assign("LearnerID=1", "UserID=2", "Level=Additional"),
			assign("LearnerID=1", "UserID=2", "Level=1"),
			assign("LearnerID=1", "UserID=2", "Level=2", "UnitID=KS_COMM1"),
			assign("LearnerID=1", "UserID=2", "Level=2", "UnitID=KS_COMM2"),
			assign("LearnerID=1", "UserID=2", "Level=2", "UnitID=KS_COMM1"),
		)}, want: []string{"Assignments:3:Level:duplicate:error", "Assignments:6:Level:duplicate:error", "Assignments:9:Level:duplicate:error"},
			fragments: []string{"The same assignment (learner, user, level and standard) is on row 2; OneFile refuses a repeated assignment, so this row is rejected."}},
		{name: "mangled MISIDs", tables: []tbl{assignments(assign("LearnerMISID=1.23457E+11", "UserID=2", "Level=1"))},
			want: []string{"Assignments:2:LearnerMISID:excel-mangled:error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, nil, nil, tc.tables...)
			expect(t, c, tc.want, tc.fragments...)
		})
	}
}

func TestAssignmentOf(t *testing.T) {
	var got []Assignment
	sink := sinkFunc(func(r *pipeline.Row) error {
		a, err := AssignmentOf(r)
		if err != nil {
			t.Errorf("AssignmentOf row %d: %v", r.Rec.Row, err)
		}
		got = append(got, a)
		return nil
	})
	run(t, Assignments, sink, assignments(
		assign("LearnerMISID=L001", "UserEmail=sam@ng.example", "UserRole=5", "Level=3 Learning Aim", "StandardTitle=Business Administrator"),
		assign("LearnerID=17", "UserID=18", "Level=2", "UnitID=KS_COMM1", "StandardID=3"),
		assign("LearnerEmail=a@b.example", "UserMISID=E1", "Level=1"),
	))
	want := []Assignment{
		{Learner: UserRef{MISID: "L001"}, User: UserRef{Email: "sam@ng.example"}, UserRole: 5, Level: 3, Standard: NamedRef{Name: "Business Administrator"}},
		{Learner: UserRef{ID: 17}, User: UserRef{ID: 18}, Level: 2, Standard: NamedRef{ID: 3}, Unit: UnitRef{ID: "KS_COMM1"}},
		{Learner: UserRef{Email: "a@b.example"}, User: UserRef{MISID: "E1"}, Level: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d assignments, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("assignment %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestDetection(t *testing.T) {
	tests := []struct {
		sheet, header string
		want          string
	}{
		{"Learners", "Forename|Surname|E-mail|Role|MIS ID|Date of Birth", "onefile-users"},
		{"Sheet1", "First Name|Last Name|Email Address|Role", "onefile-users"},
		{"Staff", "Given Name|Family Name|Email|Role|Placement", "onefile-users"},
		{"Assignments", "Learner MISID|Assessor Email|Level|Standard", "onefile-assignments"},
		{"Sheet2", "LearnerMISID|UserEmail|Level|UnitID", "onefile-assignments"},
	}
	for _, tc := range tests {
		src := &pipeline.Source{Sheet: tc.sheet, Header: split(tc.header)}
		k, cs := pipeline.DetectKind(src, nil, []*pipeline.Kind{Users, Assignments})
		if k == nil || k.Name != tc.want {
			t.Errorf("DetectKind(%s: %s) = %v (%v), want %s", tc.sheet, tc.header, k, cs, tc.want)
		}
	}
}

func TestNaturalKeys(t *testing.T) {
	var got []string
	sink := sinkFunc(func(r *pipeline.Row) error {
		got = append(got, pipeline.NaturalKey(r))
		return nil
	})
	run(t, nil, sink, learners(
		learner("MISID=L-77", "DefaultAssessorEmail=", "DefaultAssessorID=9"),
		learner("MISID=", "Email=Only.Email@student.example", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorID=9"),
	), assignments(
		assign("LearnerMISID=L-77", "UserEmail=Sam@ng.example", "Level=Learning Aim", "StandardTitle=Business Administrator"),
		assign("LearnerID=5", "UserID=6", "Level=2", "UnitID=KS_COMM1"),
		assign("LearnerID=5", "UserID=6", "Level=1"),
	))
	want := []string{"MISID=l-77", "Email=only.email@student.example",
		"LearnerMISID=l-77;UserEmail=sam@ng.example;Level=3;StandardTitle=business administrator",
		"LearnerID=5;UserID=6;Level=2;UnitID=ks_comm1", "LearnerID=5;UserID=6;Level=1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("natural keys:\n got  %q\n want %q", got, want)
	}
}
