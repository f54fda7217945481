package onefile

import (
	"fmt"
	"strconv"
	"strings"
)

// OneFile role IDs (vendor guide "Creating and managing users via the API", 2026).
const (
	RoleLearner         = 1
	RoleTraineeAssessor = 4
	RoleAssessor        = 5 // "Assessor / Tutor"
	RoleIQA             = 10
	RoleEmployer        = 40
	RoleObserver        = 45
)

// Roles lists the role IDs in the guide's order.
var Roles = []int{RoleLearner, RoleTraineeAssessor, RoleAssessor, RoleIQA, RoleEmployer, RoleObserver}

// RoleNames maps role IDs to the names the vendor guide uses.
var RoleNames = map[int]string{
	RoleLearner: "Learner", RoleTraineeAssessor: "Trainee Assessor", RoleAssessor: "Assessor/Tutor",
	RoleIQA: "IV/IQA", RoleEmployer: "Employer", RoleObserver: "Observer",
}

// RoleChoices are the values a template offers for the Role column; ParseRole reads each.
var RoleChoices = []string{"1 Learner", "4 Trainee Assessor", "5 Assessor/Tutor", "10 IV/IQA", "40 Employer", "45 Observer"}

// roleWords are the spellings data officers use for each role, normalized by foldWord. The
// guide's own names come first; the rest are what UK providers call the same jobs.
var roleWords = map[string]int{
	"learner": RoleLearner, "apprentice": RoleLearner,
	"traineeassessor": RoleTraineeAssessor, "assessortrainee": RoleTraineeAssessor,
	"assessor": RoleAssessor, "tutor": RoleAssessor, "assessortutor": RoleAssessor, "tutorassessor": RoleAssessor,
	"skillscoach": RoleAssessor, "trainerassessor": RoleAssessor, "assessortrainer": RoleAssessor,
	"iv": RoleIQA, "iqa": RoleIQA, "iviqa": RoleIQA, "iqaiv": RoleIQA, "internalverifier": RoleIQA,
	"internalqualityassurer": RoleIQA, "internalqualityassurance": RoleIQA, "verifier": RoleIQA,
	"employer": RoleEmployer,
	"observer": RoleObserver,
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
	switch v {
	case "1":
		return RoleLearner, true
	case "4":
		return RoleTraineeAssessor, true
	case "5":
		return RoleAssessor, true
	case "10":
		return RoleIQA, true
	case "40":
		return RoleEmployer, true
	case "45":
		return RoleObserver, true
	}
	v = strings.TrimSpace(v)
	if n, rest, ok := leadingNumber(v); ok {
		if _, known := RoleNames[n]; !known {
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
func IsStaff(role int) bool { _, ok := RoleNames[role]; return ok && role != RoleLearner }

// CanAssess reports whether a role may be a learner's default assessor or be assigned at Level
// 2 or 3: Trainee Assessor, Assessor/Tutor or IV/IQA.
func CanAssess(role int) bool {
	return role == RoleTraineeAssessor || role == RoleAssessor || role == RoleIQA
}

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

// LevelAllows reports whether a user of role may be assigned to a learner at level.
func LevelAllows(level, role int) bool {
	switch level {
	case LevelLearningAim, LevelUnitSummary:
		return CanAssess(role)
	case LevelAdditional:
		return CanAssess(role) || role == RoleEmployer || role == RoleObserver
	}
	return false
}
