package onefile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want int // 0: not a role
	}{
		{"1", 1}, {"4", 4}, {"5", 5}, {"10", 10}, {"40", 40}, {"45", 45}, {"05", 5}, {"5.0", 5}, {" 10 ", 10},
		{"Learner", 1}, {"learner", 1}, {"LEARNER", 1}, {"Apprentice", 1},
		{"Trainee Assessor", 4}, {"trainee-assessor", 4}, {"TraineeAssessor", 4},
		{"Assessor", 5}, {"Tutor", 5}, {"Assessor/Tutor", 5}, {"Assessor / Tutor", 5}, {"Skills Coach", 5},
		{"IV", 10}, {"IQA", 10}, {"IV/IQA", 10}, {"IV / IQA", 10}, {"Internal Verifier", 10}, {"Internal Quality Assurer", 10},
		{"Employer", 40}, {"Observer", 45},
		{"1 Learner", 1}, {"5 Assessor/Tutor", 5}, {"10 IV/IQA", 10}, {"40 - Employer", 40}, {"45: Observer", 45},
		{"", 0}, {"0", 0}, {"2", 0}, {"7", 0}, {"5.5", 0}, {"4a", 0}, {"Manager", 0}, {"Trainee", 0}, {"Admin", 0},
		{"5 Employer", 0}, {"1 Assessor", 0}, {"10000", 0}, {"-5", 0},
	}
	for _, tc := range tests {
		got, ok := ParseRole(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("ParseRole(%q) = %d, %v; want %d", tc.in, got, ok, tc.want)
		}
	}
	for _, c := range RoleChoices {
		if _, ok := ParseRole(c); !ok {
			t.Errorf("the template choice %q does not parse", c)
		}
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"1", 1}, {"2", 2}, {"3", 3}, {"3.0", 3}, {"Learning Aim", 3}, {"learning-aim", 3}, {"Unit Summary", 2},
		{"Additional", 1}, {"Level 3", 3}, {"L2", 2}, {"3 Learning Aim", 3}, {"2 - Unit Summary", 2},
		{"", 0}, {"0", 0}, {"4", 0}, {"3 Unit Summary", 0}, {"Level 4", 0}, {"Advanced", 0},
	}
	for _, tc := range tests {
		got, ok := ParseLevel(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("ParseLevel(%q) = %d, %v; want %d", tc.in, got, ok, tc.want)
		}
	}
	for _, c := range LevelChoices {
		if _, ok := ParseLevel(c); !ok {
			t.Errorf("the template choice %q does not parse", c)
		}
	}
}

func TestIsStaff(t *testing.T) {
	for role, want := range map[int]bool{1: false, 4: true, 5: true, 10: true, 40: true, 45: true, 0: false, 7: false} {
		if IsStaff(role) != want {
			t.Errorf("IsStaff(%d) = %v", role, !want)
		}
	}
}

func TestLevelAllows(t *testing.T) {
	want := map[int][]int{
		LevelLearningAim: {4, 5, 10}, LevelUnitSummary: {4, 5, 10}, LevelAdditional: {4, 5, 10, 40, 45},
	}
	for level, roles := range want {
		allowed := map[int]bool{}
		for _, r := range roles {
			allowed[r] = true
		}
		for _, r := range Roles {
			if LevelAllows(level, r) != allowed[r] {
				t.Errorf("LevelAllows(%d, %d) = %v", level, r, !allowed[r])
			}
		}
	}
}

func TestCodes(t *testing.T) {
	for _, tc := range []struct {
		in    string
		codes map[int]string
		want  int
	}{
		{"31", Ethnicities, 31}, {"47", Ethnicities, 47}, {"98", Ethnicities, 98}, {"99", Ethnicities, 99}, {"31.0", Ethnicities, 31},
		{"42 Chinese", Ethnicities, 42}, {"42 chinese", Ethnicities, 42},
		{"30", Ethnicities, 0}, {"48", Ethnicities, 0}, {"97", Ethnicities, 0}, {"42 Indian", Ethnicities, 0}, {"White", Ethnicities, 0},
		{"4", LLDDCategories, 4}, {"17", LLDDCategories, 17}, {"93", LLDDCategories, 93}, {"99", LLDDCategories, 99},
		{"3", LLDDCategories, 0}, {"18", LLDDCategories, 0}, {"92", LLDDCategories, 0},
	} {
		got, ok := ParseCode(tc.in, tc.codes)
		if ok != (tc.want != 0) || ok && got != tc.want {
			t.Errorf("ParseCode(%q) = %d, %v; want %d", tc.in, got, ok, tc.want)
		}
	}
	if got := codeList(Ethnicities); got != "31-47, 98, 99" {
		t.Errorf("codeList(Ethnicities) = %q", got)
	}
	if got := codeList(LLDDCategories); got != "4-17, 93-99" {
		t.Errorf("codeList(LLDDCategories) = %q", got)
	}
	for _, c := range codeChoices(Ethnicities) {
		if _, ok := ParseCode(c, Ethnicities); !ok {
			t.Errorf("the template choice %q does not parse", c)
		}
	}
	if len(Ethnicities) != 19 || len(LLDDCategories) != 21 {
		t.Errorf("code tables have %d and %d codes; the ILR lists have 19 and 21", len(Ethnicities), len(LLDDCategories))
	}
}

func TestTakesField(t *testing.T) {
	for _, tc := range []struct {
		role  int
		field string
		want  bool
	}{
		{1, "ULN", true}, {1, "PlacementName", true}, {5, "ULN", false}, {5, "DOB", true}, {5, "MobileNumber", true},
		{5, "PlacementID", false}, {40, "PlacementID", true}, {45, "PlacementName", true}, {10, "StartOn", false},
		{4, "DefaultAssessorEmail", false}, {40, "ClassroomName", false}, {10, "HomeAddress", true},
	} {
		if got := TakesField(tc.role, tc.field); got != tc.want {
			t.Errorf("TakesField(%d, %s) = %v", tc.role, tc.field, got)
		}
	}
	// Every field the function names is a real field.
	for name, api := range refFields {
		if Users.FieldIndex(name) < 0 {
			t.Errorf("refFields names %s, which Users does not have", name)
		}
		if _, ok := schema.UserField(api); !ok {
			t.Errorf("refFields sends %s as %s, which is no OneFile user field", name, api)
		}
	}
}

// TestUsersAgreeWithSchema: every Users column is a POST /User field or a reference standing
// for one, with the schema's type and bound, and every POST /User field but OrganisationID is
// a column (the loader sets OrganisationID from the run, and checks a row's own against it).
func TestUsersAgreeWithSchema(t *testing.T) {
	types := map[schema.Type][]pipeline.Type{
		schema.Int:  {pipeline.Integer},
		schema.Date: {pipeline.Date},
		schema.Bool: {pipeline.Bool},
		// Text fields are checked as what they hold: a ULN, a NINO, an e-mail, an ILR code.
		schema.Text: {pipeline.Text, pipeline.Email, pipeline.ULN, pipeline.NINO, pipeline.Enum},
	}
	for _, fd := range Users.Fields {
		f, ok := apiField(fd.Name)
		if !ok {
			t.Errorf("column %s is no OneFile user field and stands for none", fd.Name)
			continue
		}
		if _, isRef := refFields[fd.Name]; isRef {
			continue
		}
		if fd.Name == "Role" {
			continue // a choice of names and numbers, converted to the ID
		}
		if !slices.Contains(types[f.Type], fd.Type) {
			t.Errorf("column %s has type %v; OneFile's field is %s", fd.Name, fd.Type, f.Type)
		}
		if fd.MaxLen != f.MaxLen {
			t.Errorf("column %s is bounded at %d; the schema says %d", fd.Name, fd.MaxLen, f.MaxLen)
		}
	}
	for _, f := range schema.UserFields {
		if Users.FieldIndex(f.Name) < 0 {
			t.Errorf("OneFile field %s has no column", f.Name)
		}
	}
	// The per-role needs follow the schema's Required.
	for _, r := range schema.Roles {
		var got []string
		for _, g := range requiredGroups(r.ID) {
			got = append(got, Users.Fields[g.fields[0]].Name)
		}
		var want []string
		for _, name := range schema.Required(r.ID) {
			if f, _ := schema.UserField(name); f.Requires != schema.AllRoles {
				want = append(want, name)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("role %d needs %v; the schema requires %v", r.ID, got, want)
		}
	}
}

// TestParseRoleFastPath: the bare-number path agrees with the full parse for every number a
// cell may hold.
func TestParseRoleFastPath(t *testing.T) {
	for n := range 100 {
		for _, v := range []string{strconv.Itoa(n), fmt.Sprintf("%02d", n)} {
			got, ok := ParseRole(v)
			want, wantOK := n, schema.ValidRole(n)
			if ok != wantOK || ok && got != want {
				t.Errorf("ParseRole(%q) = %d, %v; want %d, %v", v, got, ok, want, wantOK)
			}
		}
	}
}

func TestRoleLabel(t *testing.T) {
	for role, want := range map[int]string{1: "a learner (Role 1)", 5: "an Assessor/Tutor (Role 5)", 10: "an IV/IQA (Role 10)",
		40: "an Employer (Role 40)", 45: "an Observer (Role 45)", 4: "a Trainee Assessor (Role 4)", 7: "Role 7"} {
		if got := RoleLabel(role); got != want {
			t.Errorf("RoleLabel(%d) = %q, want %q", role, got, want)
		}
	}
	if got := fmt.Sprint(LevelLabel(1), "|", LevelLabel(3)); got != "an Additional assignment (Level 1)|a Learning Aim assignment (Level 3)" {
		t.Errorf("LevelLabel = %q", got)
	}
}

// A template's example row, and every drop-down value put into it, must pass the kind's own
// rules: a template that offers refused values would teach users mistakes.
func TestExamplesAndChoicesPass(t *testing.T) {
	for _, k := range []*pipeline.Kind{Users, Assignments} {
		var header, example []string
		for _, f := range k.Fields {
			header = append(header, f.Name)
			example = append(example, f.Example)
		}
		rows := []string{strings.Join(example, "|")}
		what := []string{"the example row"}
		for i, f := range k.Fields {
			for _, v := range append(append([]string{}, f.Choices...), f.Enum...) {
				r := append([]string(nil), example...)
				r[i] = v
				if f.Name == "Role" && v != "1 Learner" {
					continue // staff rows take other fields; roles are tested on their own
				}
				if f.Name == "UserRole" || f.Name == "Level" {
					// an assignment's role and level go together; both are tested on their own
					if _, ok := ParseRole(v); f.Name == "UserRole" && ok && !LevelAllows(LevelLearningAim, mustRole(v)) {
						continue
					}
				}
				rows = append(rows, strings.Join(r, "|"))
				what = append(what, f.Name+"="+v)
			}
		}
		c := run(t, k, nil, tbl{sheet: "Template", header: strings.Join(header, "|"), rows: rows})
		for _, p := range c.problems {
			if p.Severity == pipeline.Error && p.Rule != pipeline.RuleDuplicate {
				t.Errorf("%s: %s is refused: %s (%s)", k.Name, what[p.Row-2], p.Message, p.Rule)
			}
		}
	}
}

func mustRole(v string) int { r, _ := ParseRole(v); return r }
