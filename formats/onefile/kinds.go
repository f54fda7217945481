// Package onefile knows OneFile's users and assignments: the kinds bulk reads for it, their
// fields and rules (from the vendor guides in shared/reference/vendor-docs).
package onefile

import (
	"strings"

	"github.com/bulkload/bulk/pipeline"
)

// Users is the onefile-users kind: learners and staff in one sheet, told apart by Role.
var Users = &pipeline.Kind{
	Name:       "onefile-users",
	Title:      "OneFile users: learners and staff, one per row, Role decides the required fields",
	Target:     "onefile",
	SheetHints: []string{"learner", "staff", "user", "assessor"},
	Fields: []pipeline.Field{
		{Name: "Role", Synonyms: []string{"RoleID", "User Role", "Role ID"}, Required: true, Help: "1 Learner, 4 Trainee Assessor, 5 Assessor/Tutor, 10 IV/IQA, 40 Employer, 45 Observer (number or name)", Example: "1"},
		{Name: "FirstName", Synonyms: []string{"Forename", "First Name", "Given Name", "Firstname"}, Required: true, MaxLen: 100, Example: "Amira"},
		{Name: "LastName", Synonyms: []string{"Surname", "Family Name", "Last Name"}, Required: true, MaxLen: 100, Example: "Khan"},
		{Name: "Email", Synonyms: []string{"E-mail", "Email Address", "E-mail Address"}, Required: true, Type: pipeline.Email, Unique: true, MaxLen: 254, Example: "amira.khan@example.ac.uk"},
		{Name: "MISID", Synonyms: []string{"MIS ID", "MIS Reference", "Learner Ref", "LearnRefNumber"}, Unique: true, MaxLen: 50, Example: "L000123"},
		{Name: "ULN", Synonyms: []string{"Unique Learner Number"}, Type: pipeline.ULN, Unique: true, Example: "1000000043"},
		{Name: "DOB", Synonyms: []string{"Date of Birth", "Birth Date", "DateOfBirth"}, Type: pipeline.Date, Example: "14/03/2007"},
	},
}

// RoleNames maps OneFile role IDs to the names the vendor guide uses.
var RoleNames = map[int]string{1: "Learner", 4: "Trainee Assessor", 5: "Assessor", 10: "IQA", 40: "Employer", 45: "Observer"}

var fRole = Users.MustField("Role")

func init() {
	pipeline.RegisterRule(pipeline.Rule{Code: "role", Summary: "Role is not a OneFile role ID (1, 4, 5, 10, 40, 45) or role name.", Example: "Role 7"})
	Users.RowRules = append(Users.RowRules, func(r *pipeline.Row) {
		if v := r.Value(fRole); v != "" {
			if _, ok := ParseRole(v); !ok {
				r.Errorf(fRole, "role", "Role %q is not a OneFile role: use 1 Learner, 4 Trainee Assessor, 5 Assessor/Tutor, 10 IV/IQA, 40 Employer or 45 Observer.", v)
			}
		}
	})
	pipeline.RegisterKind(Users)
}

// ParseRole reads a role ID or name.
func ParseRole(v string) (int, bool) {
	v = strings.TrimSpace(v)
	for id, name := range RoleNames {
		if strings.EqualFold(v, name) || v == itoa(id) {
			return id, true
		}
	}
	return 0, false
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
