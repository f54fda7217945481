package onefile

import (
	"strings"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// Assignments is the onefile-assignments kind: one row per user assigned to a learner (POST
// /User/{id}/Assign). The learner and the assignee are each given by OneFile ID, or by MISID or
// e-mail of a user in this run or already on OneFile.
var Assignments = &pipeline.Kind{
	Name:       "onefile-assignments",
	Title:      "OneFile assignments: assessors, IQAs, employers and observers assigned to learners",
	Target:     "onefile",
	SheetHints: []string{"assign"},
	Fields: []pipeline.Field{
		idField("LearnerID", []string{"Learner ID", "Learner User ID"}, "OneFile user ID of the learner", "1010"),
		{Name: "LearnerMISID", Synonyms: []string{"Learner MISID", "Learner MIS ID", "Learner Ref", "Learner Reference", "LearnRefNumber"}, MaxLen: maxMISID,
			Help: "MISID of the learner, a row of this run or a learner on OneFile", Example: "L000123"},
		{Name: "LearnerEmail", Synonyms: []string{"Learner Email", "Learner E-mail"}, Type: pipeline.Email, MaxLen: maxEmail,
			Help: "e-mail of the learner, a row of this run or a learner on OneFile", Example: "amira.khan@example.ac.uk"},
		idField("UserID", []string{"User ID", "Assignee ID", "Assessor ID"}, "OneFile user ID of the user assigned to the learner", "1001"),
		{Name: "UserMISID", Synonyms: []string{"User MISID", "User MIS ID", "Assignee MISID", "Assignee MIS ID", "Assessor MISID", "Assessor MIS ID"}, MaxLen: maxMISID,
			Help: "MISID of the user assigned, a row of this run or a user on OneFile", Example: "S0001"},
		{Name: "UserEmail", Synonyms: []string{"User Email", "User E-mail", "Assignee Email", "Assignee E-mail", "Assessor Email", "Assessor E-mail"}, Type: pipeline.Email, MaxLen: maxEmail,
			Help: "e-mail of the user assigned, a row of this run or a user on OneFile", Example: "sam.patel@example.ac.uk"},
		{Name: "UserRole", Synonyms: []string{"User Role", "Assignee Role", "Role"}, Choices: RoleChoices,
			Help: "optional: the assignee's role, checked against the level", Example: "5"},
		{Name: "Level", Synonyms: []string{"Assignment Level", "Assignment Type"}, Required: true, Choices: LevelChoices,
			Help: "3 Learning Aim (needs a standard), 2 Unit Summary (needs a unit), 1 Additional", Example: "3"},
		idField("StandardID", []string{"Standard ID"}, "Level 3: OneFile standard ID (Level 2: optional, narrows the unit search)", "301"),
		{Name: "StandardTitle", Synonyms: []string{"Standard", "Standard Title", "Standard Name", "Learning Aim"}, MaxLen: 255,
			Help: "Level 3: standard by title, looked up on OneFile", Example: "Business Administrator"},
		{Name: "UnitID", Synonyms: []string{"Unit ID"}, MaxLen: maxMISID,
			Help: "Level 2: OneFile unit ID (text, e.g. KS_COMM1)", Example: "KS_COMM1"},
		{Name: "UnitTitle", Synonyms: []string{"Unit", "Unit Title", "Unit Name"}, MaxLen: 255,
			Help: "Level 2: unit by title, looked up on OneFile", Example: "Communication"},
	},
}

var (
	aLearnerID     = Assignments.MustField("LearnerID")
	aLearnerMISID  = Assignments.MustField("LearnerMISID")
	aLearnerEmail  = Assignments.MustField("LearnerEmail")
	aUserID        = Assignments.MustField("UserID")
	aUserMISID     = Assignments.MustField("UserMISID")
	aUserEmail     = Assignments.MustField("UserEmail")
	aUserRole      = Assignments.MustField("UserRole")
	aLevel         = Assignments.MustField("Level")
	aStandardID    = Assignments.MustField("StandardID")
	aStandardTitle = Assignments.MustField("StandardTitle")
	aUnitID        = Assignments.MustField("UnitID")
	aUnitTitle     = Assignments.MustField("UnitTitle")
)

var (
	needLearner  = group{"the learner", []int{aLearnerID, aLearnerMISID, aLearnerEmail}}
	needAssignee = group{"the user to assign", []int{aUserID, aUserMISID, aUserEmail}}
	needStandard = group{"the standard", []int{aStandardID, aStandardTitle}}
	needUnit     = group{"the unit", []int{aUnitID, aUnitTitle}}
)

func init() {
	Assignments.RowRules = append(Assignments.RowRules, checkAssignment)
	Assignments.NewCross = newAssignmentsCross
	Assignments.Key = assignmentKey
}

// assignmentKey identifies an assignment from one file to the next: learner, user, level and
// the standard or unit, each by the first key the row gives (as the duplicate rule compares
// them). "" when the row lacks a learner, a user or a valid level.
func assignmentKey(r *pipeline.Row) string {
	level, ok := ParseLevel(r.Value(aLevel))
	if !ok {
		return ""
	}
	var b strings.Builder
	part := func(name string, fs ...int) bool {
		for _, f := range fs {
			if v := r.Value(f); v != "" {
				b.WriteString(name)
				b.WriteString(Assignments.Fields[f].Name)
				b.WriteByte('=')
				b.WriteString(strings.ToLower(v))
				return true
			}
		}
		return false
	}
	if !part("", aLearnerID, aLearnerMISID, aLearnerEmail) || !part(";", aUserID, aUserMISID, aUserEmail) {
		return ""
	}
	b.WriteString(";Level=")
	b.WriteByte(byte('0' + level))
	switch level {
	case LevelLearningAim:
		part(";", aStandardID, aStandardTitle)
	case LevelUnitSummary:
		part(";", aUnitID, aUnitTitle)
	}
	return b.String()
}

func checkAssignment(r *pipeline.Row) {
	k := r.Kind()
	for _, g := range []group{needLearner, needAssignee} {
		if !filled(r, g.fields) {
			r.Errorf(present(r, g.fields), pipeline.RuleRequired, "An assignment needs %s: fill %s.", g.what, fieldList(k, g.fields))
		}
	}
	for _, f := range []int{aLearnerMISID, aUserMISID} {
		mangledMISID(r, f)
	}
	// The same user on both sides, by the same key.
	for _, p := range [][2]int{{aLearnerID, aUserID}, {aLearnerMISID, aUserMISID}, {aLearnerEmail, aUserEmail}} {
		if v := r.Value(p[0]); v != "" && strings.EqualFold(v, r.Value(p[1])) {
			r.Errorf(p[1], RuleReference, "%s %q is the learner of this row: a learner cannot be assigned to themselves.", k.Fields[p[1]].Name, r.Value(p[1]))
		}
	}
	role := 0
	if v := r.Value(aUserRole); v != "" {
		var ok bool
		if role, ok = ParseRole(v); !ok {
			r.Errorf(aUserRole, RuleRole, "UserRole %q is not a OneFile role: use %s.", v, roleList(schema.Staff, " or "))
		}
	}
	v := r.Value(aLevel)
	if v == "" {
		return // the pipeline reports the empty required field
	}
	level, ok := ParseLevel(v)
	if !ok {
		r.Errorf(aLevel, RuleLevel, "Level %q is not an assignment level: use 3 (Learning Aim), 2 (Unit Summary) or 1 (Additional).", v)
		return
	}
	label := capitalize(LevelLabel(level))
	switch level {
	case LevelLearningAim:
		if !filled(r, needStandard.fields) {
			r.Errorf(present(r, needStandard.fields), pipeline.RuleRequired, "%s needs the standard: fill %s.", label, fieldList(k, needStandard.fields))
		}
		ignored(r, label, "a unit", needUnit.fields)
	case LevelUnitSummary:
		if !filled(r, needUnit.fields) {
			r.Errorf(present(r, needUnit.fields), pipeline.RuleRequired, "%s needs the unit: fill %s.", label, fieldList(k, needUnit.fields))
		}
	case LevelAdditional:
		ignored(r, label, "a standard or unit", append(append([]int{}, needStandard.fields...), needUnit.fields...))
	}
	if rules := roleRules(r); role != 0 && !rules.Assign(level, role) {
		r.Errorf(aUserRole, RuleRole, "%s cannot be given %s: %s%s", capitalize(RoleLabel(role)), LevelLabel(level), levelRoles(rules, level), guessHint(level, role))
	}
}

// ignored warns about data the level does not take, on the first filled field.
func ignored(r *pipeline.Row, label, what string, fs []int) {
	for _, f := range fs {
		if r.Value(f) != "" {
			r.Warnf(f, RuleLevel, "%s takes no %s; %s will be ignored. Check the Level.", label, strings.TrimPrefix(strings.TrimPrefix(what, "a "), "an "), r.Kind().Fields[f].Name)
			return
		}
	}
}
