package schema

import (
	"slices"
	"strings"
	"testing"
)

// TestRolesTable checks the role table is one that lookups can trust: IDs unique and in the
// set, every spelling folded and naming one role only.
func TestRolesTable(t *testing.T) {
	ids := map[int]bool{}
	words := map[string]int{}
	learners := 0
	for _, r := range Roles {
		if ids[r.ID] {
			t.Errorf("role %d listed twice", r.ID)
		}
		ids[r.ID] = true
		if !AllRoles.Has(r.ID) || !ValidRole(r.ID) {
			t.Errorf("role %d missing from AllRoles", r.ID)
		}
		if got, ok := RoleByID(r.ID); !ok || got.Name != r.Name {
			t.Errorf("RoleByID(%d) = %+v, %v", r.ID, got, ok)
		}
		if r.Name == "" || r.Short == "" || r.Plural == "" || len(r.Words) == 0 {
			t.Errorf("role %d lacks a name: %+v", r.ID, r)
		}
		if r.Learner {
			learners++
		}
		if r.Staff() != Staff.Has(r.ID) {
			t.Errorf("role %d: Staff() = %v, Staff set says %v", r.ID, r.Staff(), Staff.Has(r.ID))
		}
		for _, w := range r.Words {
			if w != strings.Map(func(c rune) rune {
				if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
					return c
				}
				return -1
			}, w) {
				t.Errorf("role %d: spelling %q is not folded", r.ID, w)
			}
			if other, dup := words[w]; dup {
				t.Errorf("spelling %q names roles %d and %d", w, other, r.ID)
			}
			words[w] = r.ID
		}
	}
	if len(ids) != len(AllRoles.IDs()) || learners != 1 {
		t.Errorf("AllRoles = %v, table has %d roles, %d learner roles", AllRoles.IDs(), len(ids), learners)
	}
	for _, id := range []int{0, -1, 2, 64, 1000} {
		if ValidRole(id) {
			t.Errorf("ValidRole(%d) = true", id)
		}
		if _, ok := RoleByID(id); ok {
			t.Errorf("RoleByID(%d) found a role", id)
		}
	}
	if got := RoleIDs(", "); got != "1, 4, 5, 10, 40, 45" {
		t.Errorf("RoleIDs = %q", got)
	}
}

// TestFieldsTable checks each field: a name given once, required only for roles that take it,
// a bound only on text.
func TestFieldsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range UserFields {
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.Takes == 0 || f.Takes&^AllRoles != 0 {
			t.Errorf("%s: Takes %v is not a set of roles", f.Name, f.Takes.IDs())
		}
		if f.Requires&^f.Takes != 0 {
			t.Errorf("%s: required for roles %v that do not take it", f.Name, (f.Requires &^ f.Takes).IDs())
		}
		if f.MaxLen != 0 && f.Type != Text {
			t.Errorf("%s: a length bound on a %s field", f.Name, f.Type)
		}
		if got, ok := UserField(f.Name); !ok || got != f {
			t.Errorf("UserField(%q) = %+v, %v", f.Name, got, ok)
		}
	}
	if _, ok := UserField("ID"); ok {
		t.Error("ID is not a writable field")
	}
}

// TestGuide pins the table to the vendor guide's two create calls, field by field.
func TestGuide(t *testing.T) {
	// "Create User (Learner)": mandatory, then optional.
	learnerMandatory := []string{"OrganisationID", "FirstName", "LastName", "Email", "Role", "DefaultAssessorID", "ClassroomID", "PlacementID"}
	learnerOptional := []string{"MISID", "CreatedOn", "CompanyName", "MobileNumber", "Telephone", "Website", "WorkAddress", "ProviderID",
		"DefaultEmployerID", "ULN", "NINO", "EpisodeName", "HomeAddress", "CentreRegister", "DOB", "StartOn", "PlannedEndDate",
		"L12", "L13", "L14", "L15", "L16", "SupportFunding", "LearnerStatusID"}
	// "Create User (All other User Roles)".
	staffMandatory := []string{"OrganisationID", "FirstName", "LastName", "Email", "Role"}
	staffOptional := []string{"MISID", "CreatedOn", "MobileNumber", "Telephone", "Website", "WorkAddress", "HomeAddress", "DOB"}

	var all []string
	for _, f := range UserFields {
		all = append(all, f.Name)
	}
	if want := append(slices.Clone(learnerMandatory), learnerOptional...); !slices.Equal(all, want) {
		t.Errorf("fields = %v\nwant the guide's learner call %v", all, want)
	}
	if got := Required(Learner); !slices.Equal(got, learnerMandatory) {
		t.Errorf("Required(Learner) = %v, want %v", got, learnerMandatory)
	}
	for _, role := range []int{TraineeAssessor, Assessor, IQA, Employer, Observer} {
		want := slices.Clone(staffMandatory)
		if role == Employer || role == Observer {
			want = append(want, "PlacementID") // "Additional mandatory field for Employers and Observers"
		}
		if got := Required(role); !slices.Equal(got, want) {
			t.Errorf("Required(%d) = %v, want %v", role, got, want)
		}
		takes := append(slices.Clone(want), staffOptional...)
		for _, f := range UserFields {
			if f.Takes.Has(role) != slices.Contains(takes, f.Name) {
				t.Errorf("role %d: Takes(%s) = %v, the guide says %v", role, f.Name, f.Takes.Has(role), !f.Takes.Has(role))
			}
		}
	}
	types := map[string]Type{"OrganisationID": Int, "Role": Int, "DefaultAssessorID": Int, "ClassroomID": Int, "PlacementID": Int,
		"ProviderID": Int, "DefaultEmployerID": Int, "LearnerStatusID": Int, "SupportFunding": Bool,
		"CreatedOn": Date, "CentreRegister": Date, "DOB": Date, "StartOn": Date, "PlannedEndDate": Date}
	for _, f := range UserFields {
		want, ok := types[f.Name]
		if !ok {
			want = Text
		}
		if f.Type != want {
			t.Errorf("%s is %s, the guide's example is %s", f.Name, f.Type, want)
		}
	}
	if Required(0) != nil || Required(2) != nil {
		t.Error("an unknown role requires nothing")
	}
}

func TestRoleSet(t *testing.T) {
	s := SetOf(Learner, Observer, 0, 64, -3)
	if !s.Has(Learner) || !s.Has(Observer) || s.Has(Assessor) || s.Has(0) || s.Has(64) {
		t.Errorf("SetOf = %v", s.IDs())
	}
	if got := PlacementRoles.IDs(); !slices.Equal(got, []int{1, 40, 45}) {
		t.Errorf("PlacementRoles = %v", got)
	}
	if got := Staff.IDs(); !slices.Equal(got, []int{4, 5, 10, 40, 45}) {
		t.Errorf("Staff = %v", got)
	}
}

// TestRoleRules: the guides' roles always hold; each guess adds its roles only when allowed, by
// default or by a setting; unknown settings are refused with the known names.
func TestRoleRules(t *testing.T) {
	type check struct {
		level, role int // level 0: as default assessor
		want        bool
	}
	allows := func(r RoleRules, c check) bool {
		if c.level == 0 {
			return r.DefaultAssessor(c.role)
		}
		return r.Assign(c.level, c.role)
	}
	guide := []check{{0, Assessor, true}, {0, Employer, false}, {0, Learner, false}, {3, Assessor, true}, {3, IQA, true},
		{2, IQA, true}, {3, Employer, false}, {2, Observer, false}, {1, Employer, true}, {1, Observer, true}, {1, Learner, false}, {4, Assessor, false}}
	tests := []struct {
		settings map[string]bool
		checks   []check
	}{
		{nil, []check{{0, TraineeAssessor, true}, {0, IQA, false}, {3, TraineeAssessor, true}, {2, TraineeAssessor, true}, {1, TraineeAssessor, true}}},
		{map[string]bool{"iqa-default-assessor": true}, []check{{0, IQA, true}, {0, TraineeAssessor, true}}},
		{map[string]bool{"trainee-default-assessor": false}, []check{{0, TraineeAssessor, false}, {3, TraineeAssessor, true}}},
		{map[string]bool{"trainee-assessor-any-level": false}, []check{{3, TraineeAssessor, false}, {2, TraineeAssessor, false}, {1, TraineeAssessor, false}, {0, TraineeAssessor, true}}},
	}
	for _, tc := range tests {
		r, err := NewRoleRules(tc.settings)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range append(append([]check{}, guide...), tc.checks...) {
			if got := allows(r, c); got != c.want {
				t.Errorf("%v: level %d role %d: %v, want %v", tc.settings, c.level, c.role, got, c.want)
			}
		}
	}
	if _, err := NewRoleRules(map[string]bool{"iqa-as-default": true}); err == nil || !strings.Contains(err.Error(), "iqa-default-assessor") {
		t.Errorf("unknown setting: %v", err)
	}
	for _, g := range RoleGuesses {
		if g.Guess == "" || g.Says == "" || g.DefaultAssessor == 0 && g.Assign == [4]RoleSet{} {
			t.Errorf("guess %s is not described or adds nothing: %+v", g.Name, g)
		}
		if (GuideRoles.DefaultAssessorRoles()&g.DefaultAssessor) != 0 || GuideRoles.Guessed(0, Assessor) != nil {
			t.Errorf("guess %s covers a role the guides name", g.Name)
		}
	}
}

func TestParseRoleSettings(t *testing.T) {
	got, err := ParseRoleSettings(" iqa-default-assessor=on, trainee-assessor-any-level=off,trainee-default-assessor ")
	want := map[string]bool{"iqa-default-assessor": true, "trainee-assessor-any-level": false, "trainee-default-assessor": true}
	if err != nil || len(got) != len(want) {
		t.Fatalf("%v %v", got, err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v", k, got[k])
		}
	}
	for _, bad := range []string{"iqa=on", "iqa-default-assessor=maybe"} {
		if _, err := ParseRoleSettings(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := ParseRoleSettings(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
}

// TestUserIDIsNoBodyField: the OneFile ID column is a key, never a field of a request body.
func TestUserIDIsNoBodyField(t *testing.T) {
	for _, name := range []string{UserID.Name, UserID.Answer} {
		if _, ok := UserField(name); ok {
			t.Errorf("UserField(%q) found a body field: the user's ID must never be sent in a body", name)
		}
	}
	if UserID.Takes != AllRoles || UserID.Type != Int {
		t.Errorf("UserID = %+v, want an int every role may give", UserID)
	}
}
