package onefile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// OneFile role IDs (vendor guide "Creating and managing users via the API", 2026); the roles
// themselves, their names and spellings are the schema's.
const (
	RoleLearner         = schema.Learner
	RoleTraineeAssessor = schema.TraineeAssessor
	RoleAssessor        = schema.Assessor // "Assessor / Tutor"
	RoleIQA             = schema.IQA
	RoleEmployer        = schema.Employer
	RoleObserver        = schema.Observer
)

// Roles lists the role IDs in the guide's order.
var Roles = func() []int {
	ids := make([]int, len(schema.Roles))
	for i, r := range schema.Roles {
		ids[i] = r.ID
	}
	return ids
}()

// RoleNames maps role IDs to the names the vendor guide uses.
var RoleNames = func() map[int]string {
	m := make(map[int]string, len(schema.Roles))
	for _, r := range schema.Roles {
		m[r.ID] = r.Name
	}
	return m
}()

// RoleChoices are the values a template offers for the Role column ("1 Learner", ...);
// ParseRole reads each.
var RoleChoices = func() []string {
	out := make([]string, len(schema.Roles))
	for i, r := range schema.Roles {
		out[i] = strconv.Itoa(r.ID) + " " + r.Name
	}
	return out
}()

// roleWords are the spellings data officers use for each role, normalized by foldWord.
var roleWords = func() map[string]int {
	m := map[string]int{}
	for _, r := range schema.Roles {
		for _, w := range r.Words {
			m[w] = r.ID
		}
	}
	return m
}()

// roleList names the roles of set for messages, "4 Trainee Assessor, 5 Assessor/Tutor or 45
// Observer", with last (" or ", or ", " to keep a list) before the final one.
func roleList(set schema.RoleSet, last string) string {
	var names []string
	for _, r := range schema.Roles {
		if set.Has(r.ID) {
			names = append(names, strconv.Itoa(r.ID)+" "+r.Name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + last + names[len(names)-1]
}

// foldWord lower-cases s and drops everything but letters and digits, so that "IV / IQA",
// "iv-iqa" and "IV_IQA" are one spelling.
func foldWord(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// leadingNumber splits "5 Assessor/Tutor" or "5 - Assessor" into 5 and "Assessor/Tutor". A
// spreadsheet's "5.0" is 5. ok is false when s does not start with a number.
func leadingNumber(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 4 {
		return 0, s, false
	}
	n, _ = strconv.Atoi(s[:i])
	rest = s[i:]
	if strings.HasPrefix(rest, ".0") && (len(rest) == 2 || rest[2] < '0' || rest[2] > '9') {
		rest = rest[2:]
	}
	if rest != "" && rest[0] != ' ' && rest[0] != '-' && rest[0] != ':' && rest[0] != '=' {
		return 0, s, false // "4a", "5.5": not a number followed by a name
	}
	return n, strings.TrimLeft(rest, " -:="), true
}

// ParseRole reads a role ID ("5"), a name ("Assessor", "IV / IQA", "Skills Coach") or both
// ("5 Assessor/Tutor"); in the last form the two must agree.
func ParseRole(v string) (int, bool) {
	// The usual cell is the bare ID, and the rules ask for the role several times per row.
	if len(v) == 1 || len(v) == 2 && v[0] != '0' {
		n := 0
		for i := 0; i < len(v) && n >= 0; i++ {
			if v[i] < '0' || v[i] > '9' {
				n = -1
			} else {
				n = n*10 + int(v[i]-'0')
			}
		}
		if schema.ValidRole(n) {
			return n, true
		}
	}
	v = strings.TrimSpace(v)
	if n, rest, ok := leadingNumber(v); ok {
		if !schema.ValidRole(n) {
			return 0, false
		}
		if rest == "" {
			return n, true
		}
		if w, ok := roleWords[foldWord(rest)]; ok && w == n {
			return n, true
		}
		return 0, false
	}
	n, ok := roleWords[foldWord(v)]
	return n, ok
}

// RoleLabel names a role for messages: "an Assessor/Tutor (Role 5)", "a learner (Role 1)".
func RoleLabel(role int) string {
	name, ok := RoleNames[role]
	if role == RoleLearner {
		name = "learner"
	}
	if !ok {
		return fmt.Sprintf("Role %d", role)
	}
	article := "a"
	if strings.ContainsRune("AEIOUaeiou", rune(name[0])) {
		article = "an"
	}
	return fmt.Sprintf("%s %s (Role %d)", article, name, role)
}

// IsStaff reports whether a role is one of the non-learner roles.
func IsStaff(role int) bool { return schema.Staff.Has(role) }

// Assignment levels (vendor guide "Assigning users to learners via the API").
const (
	LevelAdditional  = 1 // any of Assessor, IQA, Employer, Observer; no further data
	LevelUnitSummary = 2 // Assessor or IQA, with UnitID
	LevelLearningAim = 3 // Assessor or IQA, with StandardID
)

// LevelNames maps assignment levels to the guide's names.
var LevelNames = map[int]string{LevelAdditional: "Additional", LevelUnitSummary: "Unit Summary", LevelLearningAim: "Learning Aim"}

// LevelChoices are the values a template offers for the Level column; ParseLevel reads each.
var LevelChoices = []string{"3 Learning Aim", "2 Unit Summary", "1 Additional"}

var levelWords = map[string]int{
	"additional": LevelAdditional, "level1": LevelAdditional, "l1": LevelAdditional,
	"unitsummary": LevelUnitSummary, "unit": LevelUnitSummary, "level2": LevelUnitSummary, "l2": LevelUnitSummary,
	"learningaim": LevelLearningAim, "aim": LevelLearningAim, "standard": LevelLearningAim, "level3": LevelLearningAim, "l3": LevelLearningAim,
}

// ParseLevel reads an assignment level: 1, 2 or 3, its name ("Learning Aim"), "Level 3", or
// both ("3 Learning Aim").
func ParseLevel(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if n, rest, ok := leadingNumber(v); ok {
		if _, known := LevelNames[n]; !known {
			return 0, false
		}
		if rest == "" {
			return n, true
		}
		if w, ok := levelWords[foldWord(rest)]; ok && w == n {
			return n, true
		}
		return 0, false
	}
	n, ok := levelWords[foldWord(v)]
	return n, ok
}

// LevelLabel names a level for messages: "a Learning Aim assignment (Level 3)".
func LevelLabel(level int) string {
	article := "a"
	if level == LevelAdditional {
		article = "an"
	}
	return fmt.Sprintf("%s %s assignment (Level %d)", article, LevelNames[level], level)
}

// LevelAllows reports whether bulk's default role rules let a user of role be assigned to a
// learner at level. The table, and the guesses in it, are in schema (RoleGuesses).
func LevelAllows(level, role int) bool { return schema.DefaultRoles.Assign(level, role) }

// roleRules are the role rules of r's run: the guides' roles and the guesses as the target's
// profile settles them (pipeline.Options.Settings), else bulk's defaults.
func roleRules(r *pipeline.Row) schema.RoleRules {
	if r != nil && r.Opts != nil {
		if rules, ok := r.Opts.Settings.(schema.RoleRules); ok {
			return rules
		}
	}
	return schema.DefaultRoles
}

// pluralNames are the roles' names for "Levels ... are for Trainee Assessors, ...".
var pluralNames = map[int]string{RoleTraineeAssessor: "Trainee Assessors", RoleAssessor: "Assessors/Tutors",
	RoleIQA: "IV/IQAs", RoleEmployer: "Employers", RoleObserver: "Observers", RoleLearner: "Learners"}

// joinRoles lists set's roles as names (plural, or singular with an article) and IDs, ending
// with last: ("Trainee Assessors, Assessors/Tutors and IV/IQAs", "4, 5, 10").
func joinRoles(set schema.RoleSet, plural bool, last string) (names, ids string) {
	var ns, is []string
	for _, r := range schema.Roles {
		if !set.Has(r.ID) {
			continue
		}
		n := pluralNames[r.ID]
		if !plural {
			n = "a " + r.Name
			if strings.ContainsRune("AEIOU", rune(r.Name[0])) {
				n = "an " + r.Name
			}
		}
		ns = append(ns, n)
		is = append(is, strconv.Itoa(r.ID))
	}
	join := func(xs []string, last string) string {
		if len(xs) < 2 {
			return strings.Join(xs, "")
		}
		return strings.Join(xs[:len(xs)-1], ", ") + last + xs[len(xs)-1]
	}
	if plural {
		return join(ns, last), strings.Join(is, ", ")
	}
	return join(ns, last), join(is, last)
}

// levelRoles says who may be assigned at a level under rules, for messages.
func levelRoles(rules schema.RoleRules, level int) string {
	if level == LevelAdditional {
		names, ids := joinRoles(rules.AssignRoles(LevelAdditional), true, " and ")
		return fmt.Sprintf("Level 1 (Additional) is for %s (Roles %s).", names, ids)
	}
	if rules.AssignRoles(LevelLearningAim) != rules.AssignRoles(LevelUnitSummary) {
		names, ids := joinRoles(rules.AssignRoles(level), true, " and ")
		return fmt.Sprintf("Level %d (%s) is for %s (Roles %s).", level, LevelNames[level], names, ids)
	}
	names, ids := joinRoles(rules.AssignRoles(LevelLearningAim), true, " and ")
	return fmt.Sprintf("Levels 3 (Learning Aim) and 2 (Unit Summary) are for %s (Roles %s); assign Employers and Observers at Level 1.", names, ids)
}

// defaultAssessorRoles says who may be a default assessor under rules, for messages.
func defaultAssessorRoles(rules schema.RoleRules) string {
	names, ids := joinRoles(rules.DefaultAssessorRoles(), false, " or ")
	return fmt.Sprintf("a default assessor must be %s (Role %s).", names, ids)
}

// guessHint is what a message about a refused role adds when a guess the target's profile may
// settle would allow it (level 0: as default assessor), else "".
func guessHint(level, role int) string {
	g := schema.DefaultRoles.Guessed(level, role)
	if g == nil {
		return ""
	}
	return fmt.Sprintf(" The OneFile guides do not say whether OneFile takes this; if yours does, set %s: true under roles: in the target profile ('bulk probe onefile --write-test' finds out on beta; docs/guesses.md %s).", g.Name, g.Guess)
}
