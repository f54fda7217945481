// Package schema is OneFile's user schema in one table: the roles the API supports and the
// fields of POST /User (and POST /User/{id}), with their JSON types, the roles each is taken
// for and required for, and the length bounds bulk applies. The vendor guide "Creating and
// managing users via the API" (2026, shared/reference/vendor-docs) is the source; where the
// guide says nothing (lengths), the bounds are bulk's own, documented in docs/onefile-rules.md.
//
// The kind (formats/onefile), the API client (api), the loader (load) and the sandbox all read
// this table, so a field or a role is added in one place. It imports nothing of bulk's, so any
// of them may import it.
package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Role IDs (the guide's table "The following roles are supported in the API").
const (
	Learner         = 1
	TraineeAssessor = 4
	Assessor        = 5 // "Assessor / Tutor"
	IQA             = 10
	Employer        = 40
	Observer        = 45
)

// Role is one OneFile user role.
type Role struct {
	ID int
	// Name is the guide's name as templates and messages to data officers show it.
	Name string
	// Short is a lower-case noun for the API client's and the sandbox's messages ("a new
	// assessor needs ...").
	Short string
	// Plural counts users of the role ("3 assessors").
	Plural string
	// Words are the spellings data officers use for the role, folded (lower case, letters and
	// digits only): the guide's own name first, then what UK providers call the same job.
	Words []string
	// Learner is true for the learner role; every other role is staff, created with the
	// guide's "Create User (All other User Roles)" call.
	Learner bool
}

// Staff reports whether the role is one of the non-learner roles.
func (r Role) Staff() bool { return !r.Learner }

// Roles are the roles the API supports, in the guide's order.
var Roles = []Role{
	{ID: Learner, Name: "Learner", Short: "learner", Plural: "learners", Learner: true,
		Words: []string{"learner", "apprentice"}},
	{ID: TraineeAssessor, Name: "Trainee Assessor", Short: "trainee assessor", Plural: "trainee assessors",
		Words: []string{"traineeassessor", "assessortrainee"}},
	{ID: Assessor, Name: "Assessor/Tutor", Short: "assessor", Plural: "assessors",
		Words: []string{"assessortutor", "assessor", "tutor", "tutorassessor", "skillscoach", "trainerassessor", "assessortrainer"}},
	{ID: IQA, Name: "IV/IQA", Short: "IQA", Plural: "IQAs",
		Words: []string{"iviqa", "iv", "iqa", "iqaiv", "internalverifier", "internalqualityassurer", "internalqualityassurance", "verifier"}},
	{ID: Employer, Name: "Employer", Short: "employer", Plural: "employers", Words: []string{"employer"}},
	{ID: Observer, Name: "Observer", Short: "observer", Plural: "observers", Words: []string{"observer"}},
}

// RoleSet is a set of role IDs. Role IDs are below 64, so a set is one word and asking it
// costs a shift: the row rules ask per field of every row.
type RoleSet uint64

// SetOf is the set of the given role IDs.
func SetOf(ids ...int) RoleSet {
	var s RoleSet
	for _, id := range ids {
		if id > 0 && id < 64 {
			s |= 1 << id
		}
	}
	return s
}

// Has reports whether role id is in the set.
func (s RoleSet) Has(id int) bool { return id > 0 && id < 64 && s&(1<<id) != 0 }

// IDs lists the set's role IDs in ascending order (the guide's order).
func (s RoleSet) IDs() []int {
	var out []int
	for id := 1; id < 64; id++ {
		if s.Has(id) {
			out = append(out, id)
		}
	}
	return out
}

// Named sets of roles.
var (
	// AllRoles are the roles the API supports.
	AllRoles = SetOf(Learner, TraineeAssessor, Assessor, IQA, Employer, Observer)
	// Staff are the roles other than Learner.
	Staff = AllRoles &^ SetOf(Learner)
	// LearnerOnly is the set of a field the guide lists for learners alone.
	LearnerOnly = SetOf(Learner)
	// PlacementRoles take a PlacementID: learners, and employers and observers, for whom the
	// guide makes it an "additional mandatory field".
	PlacementRoles = SetOf(Learner, Employer, Observer)
)

// Who may stand in for whom: the one table the validator (formats/onefile), the sandbox and the
// docs (docs/onefile-rules.md, docs/guesses.md) use. The guides name some roles (GuideRoles);
// the rest are the guesses in RoleGuesses, each with bulk's default reading, which a target
// profile's roles: setting (formats/onefile/profile, written by 'bulk probe onefile
// --write-test' or by hand) or the sandbox's --roles flag may change.

// GuideRoles are the roles the guides name: "Assessor" for DefaultAssessorID ("Creating and
// managing users"), and per assignment level the guide's table ("Assigning users to learners":
// Learning Aim and Unit Summary "Assessor, IQA"; Additional "Assessor, IQA, Employer, Observer").
var GuideRoles = RoleRules{
	defaultAssessor: SetOf(Assessor),
	assign: [4]RoleSet{
		3: SetOf(Assessor, IQA),
		2: SetOf(Assessor, IQA),
		1: SetOf(Assessor, IQA, Employer, Observer),
	},
}

// RoleGuess is one role the guides do not name where bulk has to decide whether OneFile takes
// it. Allowing it adds its roles to GuideRoles.
type RoleGuess struct {
	// Name is the setting's name in a target profile (roles: {name: true}) and --roles.
	Name string
	// Guess is its entry in docs/guesses.md.
	Guess string
	// Allowed is bulk's reading when nothing settles it.
	Allowed bool
	// What allowing it adds: roles as DefaultAssessorID, and roles per assignment level.
	DefaultAssessor RoleSet
	Assign          [4]RoleSet
	// Says completes "bulk's default: ..." in docs and messages.
	Says string
}

// RoleGuesses are the guesses about roles, each settled per target by its profile.
var RoleGuesses = []RoleGuess{
	// guess G20: the guides' role table lists Trainee Assessor (4) but no assignment level names
	// it. Taken at every level by default: a trainee carries a caseload under a countersigning
	// assessor, and refusing would reject real spreadsheets (samples/ assign one).
	{Name: "trainee-assessor-any-level", Guess: "G20", Allowed: true,
		Assign: [4]RoleSet{3: SetOf(TraineeAssessor), 2: SetOf(TraineeAssessor), 1: SetOf(TraineeAssessor)},
		Says:   "a Trainee Assessor (4) may be assigned at Levels 3, 2 and 1"},
	// guess G21: DefaultAssessorID is "an assessor"; a Trainee Assessor is taken as one by default.
	{Name: "trainee-default-assessor", Guess: "G21", Allowed: true, DefaultAssessor: SetOf(TraineeAssessor),
		Says: "a Trainee Assessor (4) may be a learner's default assessor"},
	// guess G22: the guides do not say whether an IV/IQA (10) may be a default assessor. Refused by
	// default: the safer rehearsal (a refusal on go-live morning costs more than a warning now).
	{Name: "iqa-default-assessor", Guess: "G22", Allowed: false, DefaultAssessor: SetOf(IQA),
		Says: "an IV/IQA (10) may be a learner's default assessor"},
}

// RoleRules say which roles may be a default assessor and be assigned at each level: the
// guides' roles and the guesses allowed. The zero value is not usable; use DefaultRoles or
// NewRoleRules.
type RoleRules struct {
	defaultAssessor RoleSet
	assign          [4]RoleSet
}

// DefaultRoles are bulk's readings when no profile settles the guesses.
var DefaultRoles, _ = NewRoleRules(nil)

// NewRoleRules applies settings (guess name -> allowed; a guess not given keeps its default)
// to the guides' roles. An unknown name is an error that lists the known ones.
func NewRoleRules(settings map[string]bool) (RoleRules, error) {
	for name := range settings {
		if RoleGuessByName(name) == nil {
			return RoleRules{}, fmt.Errorf("%q is not a role setting; the settings are %s", name, RoleGuessNames())
		}
	}
	r := GuideRoles
	for _, g := range RoleGuesses {
		allowed, set := settings[g.Name]
		if !set {
			allowed = g.Allowed
		}
		if !allowed {
			continue
		}
		r.defaultAssessor |= g.DefaultAssessor
		for l := range r.assign {
			r.assign[l] |= g.Assign[l]
		}
	}
	return r, nil
}

// ParseRoleSettings reads "name=on,other=off" (also true/false, yes/no; a bare name is on), the
// form of the sandbox's --roles flag, into settings for NewRoleRules.
func ParseRoleSettings(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, hasVal := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		on := true
		if hasVal {
			switch strings.ToLower(strings.TrimSpace(val)) {
			case "on", "true", "yes", "1":
			case "off", "false", "no", "0":
				on = false
			default:
				return nil, fmt.Errorf("role setting %s=%s: say on or off", name, val)
			}
		}
		if RoleGuessByName(name) == nil {
			return nil, fmt.Errorf("%q is not a role setting; the settings are %s", name, RoleGuessNames())
		}
		out[name] = on
	}
	return out, nil
}

// RoleGuessByName returns the guess called name, or nil.
func RoleGuessByName(name string) *RoleGuess {
	for i := range RoleGuesses {
		if RoleGuesses[i].Name == name {
			return &RoleGuesses[i]
		}
	}
	return nil
}

// RoleGuessNames lists the guesses' names for messages.
func RoleGuessNames() string {
	names := make([]string, len(RoleGuesses))
	for i, g := range RoleGuesses {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
}

// DefaultAssessor reports whether a user of role may be a learner's DefaultAssessorID.
func (r RoleRules) DefaultAssessor(role int) bool { return r.defaultAssessor.Has(role) }

// DefaultAssessorRoles are the roles that may be a default assessor.
func (r RoleRules) DefaultAssessorRoles() RoleSet { return r.defaultAssessor }

// Assign reports whether a user of role may be assigned to a learner at level (1, 2 or 3).
func (r RoleRules) Assign(level, role int) bool {
	return level >= 1 && level <= 3 && r.assign[level].Has(role)
}

// AssignRoles are the roles that may be assigned at level.
func (r RoleRules) AssignRoles(level int) RoleSet {
	if level < 1 || level > 3 {
		return 0
	}
	return r.assign[level]
}

// Guessed says which of the guesses allows role in the place where r allows it and the guides
// do not: nil when the guides name the role there. level 0 asks about the default assessor.
func (r RoleRules) Guessed(level, role int) *RoleGuess {
	for i, g := range RoleGuesses {
		if level == 0 && g.DefaultAssessor.Has(role) || level > 0 && level <= 3 && g.Assign[level].Has(role) {
			return &RoleGuesses[i]
		}
	}
	return nil
}

// RoleByID returns the role with ID id.
func RoleByID(id int) (Role, bool) {
	if !AllRoles.Has(id) {
		return Role{}, false
	}
	for _, r := range Roles {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// ValidRole reports whether the API supports role id.
func ValidRole(id int) bool { return AllRoles.Has(id) }

// RoleIDs lists the role IDs in the guide's order, joined with sep: "1, 4, 5, 10, 40, 45".
func RoleIDs(sep string) string {
	ids := make([]string, len(Roles))
	for i, r := range Roles {
		ids[i] = strconv.Itoa(r.ID)
	}
	return strings.Join(ids, sep)
}

// Type is a field's JSON type.
type Type uint8

// The JSON types of user fields.
const (
	Text Type = iota // a JSON string
	Int              // a JSON whole number
	Date             // a JSON string holding an ISO-8601 timestamp, "2022-02-23T12:49:33.150Z"
	Bool             // true or false
)

func (t Type) String() string {
	switch t {
	case Text:
		return "text"
	case Int:
		return "int"
	case Date:
		return "date"
	case Bool:
		return "bool"
	}
	return "type " + strconv.Itoa(int(t))
}

// DateLayout is how OneFile writes dates and how bulk sends them: midnight UTC of the day.
// guess G13 (docs/guesses.md).
const DateLayout = "2006-01-02T15:04:05.000Z"

// Length bounds. OneFile documents none; where the ILR specification bounds the same data its
// limit is used, the rest are guesses generous enough for real data (docs/onefile-rules.md).
// guess G14 (docs/guesses.md).
const (
	MaxName    = 100 // ILR GivenNames/FamilyName: 100
	MaxEmail   = 254 // RFC 5321 path limit
	MaxMISID   = 50  // guess G14: MIS references are short codes
	MaxPhone   = 30  // guess G14 (ILR TelNo is 18; international formats with spaces need more)
	MaxAddress = 500 // guess G14: multi-line addresses in one cell
	MaxWebsite = 255 // guess G14
	MaxLabel   = 100 // guess G14: company and episode names (and classroom and placement names)
)

// Field is one field of POST /User.
type Field struct {
	// Name is the API's (JSON) name.
	Name string
	Type Type
	// Takes are the roles OneFile takes the field for: every role's list in the guide, the
	// learner's only, or (PlacementID) learners, employers and observers.
	Takes RoleSet
	// Requires are the roles a create must give the field for (the guide's "Mandatory
	// Fields").
	Requires RoleSet
	// MaxLen bounds text in characters; 0 when bulk sets no bound.
	MaxLen int
}

// LearnerOnly reports whether the guide lists the field for learners alone.
func (f Field) LearnerOnly() bool { return f.Takes == LearnerOnly }

// UserFields are the fields of POST /User in the guide's order (the learner call's mandatory
// fields, then its optional ones). Staff take the fields of the guide's "All other User Roles"
// call; employers and observers must give PlacementID too.
// guess G16 (docs/guesses.md).
var UserFields = []Field{
	{Name: "OrganisationID", Type: Int, Takes: AllRoles, Requires: AllRoles},
	{Name: "FirstName", Type: Text, Takes: AllRoles, Requires: AllRoles, MaxLen: MaxName},
	{Name: "LastName", Type: Text, Takes: AllRoles, Requires: AllRoles, MaxLen: MaxName},
	{Name: "Email", Type: Text, Takes: AllRoles, Requires: AllRoles, MaxLen: MaxEmail},
	{Name: "Role", Type: Int, Takes: AllRoles, Requires: AllRoles},
	{Name: "DefaultAssessorID", Type: Int, Takes: LearnerOnly, Requires: LearnerOnly},
	{Name: "ClassroomID", Type: Int, Takes: LearnerOnly, Requires: LearnerOnly},
	{Name: "PlacementID", Type: Int, Takes: PlacementRoles, Requires: PlacementRoles},
	{Name: "MISID", Type: Text, Takes: AllRoles, MaxLen: MaxMISID},
	{Name: "CreatedOn", Type: Date, Takes: AllRoles},
	{Name: "CompanyName", Type: Text, Takes: LearnerOnly, MaxLen: MaxLabel}, // displayed on the profile
	{Name: "MobileNumber", Type: Text, Takes: AllRoles, MaxLen: MaxPhone},
	{Name: "Telephone", Type: Text, Takes: AllRoles, MaxLen: MaxPhone},
	{Name: "Website", Type: Text, Takes: AllRoles, MaxLen: MaxWebsite},
	{Name: "WorkAddress", Type: Text, Takes: AllRoles, MaxLen: MaxAddress},
	{Name: "ProviderID", Type: Int, Takes: LearnerOnly},
	{Name: "DefaultEmployerID", Type: Int, Takes: LearnerOnly},
	{Name: "ULN", Type: Text, Takes: LearnerOnly},
	{Name: "NINO", Type: Text, Takes: LearnerOnly},
	{Name: "EpisodeName", Type: Text, Takes: LearnerOnly, MaxLen: MaxLabel},
	{Name: "HomeAddress", Type: Text, Takes: AllRoles, MaxLen: MaxAddress},
	{Name: "CentreRegister", Type: Date, Takes: LearnerOnly},
	{Name: "DOB", Type: Date, Takes: AllRoles},
	{Name: "StartOn", Type: Date, Takes: LearnerOnly}, // episode start date
	{Name: "PlannedEndDate", Type: Date, Takes: LearnerOnly},
	{Name: "L12", Type: Text, Takes: LearnerOnly}, // ethnicity
	{Name: "L13", Type: Text, Takes: LearnerOnly}, // sex
	{Name: "L14", Type: Text, Takes: LearnerOnly}, // learning difficulties, disabilities, health problems
	{Name: "L15", Type: Text, Takes: LearnerOnly}, // disability
	{Name: "L16", Type: Text, Takes: LearnerOnly}, // learning difficulty
	{Name: "SupportFunding", Type: Bool, Takes: LearnerOnly},
	{Name: "LearnerStatusID", Type: Int, Takes: LearnerOnly},
}

var fieldByName = func() map[string]int {
	m := make(map[string]int, len(UserFields))
	for i, f := range UserFields {
		m[f.Name] = i
	}
	return m
}()

// UserField returns the field with API name name (exact spelling).
func UserField(name string) (Field, bool) {
	i, ok := fieldByName[name]
	if !ok {
		return Field{}, false
	}
	return UserFields[i], true
}

// Required lists the fields a create of a user of role must give, in the table's order.
func Required(role int) []string {
	var out []string
	for _, f := range UserFields {
		if f.Requires.Has(role) {
			out = append(out, f.Name)
		}
	}
	return out
}

// UserID is the column that carries a user's own OneFile ID. It is no field of POST /User:
// OneFile answers it as "ID" and takes it in the path of an update (POST /User/{id}), never in
// a body. So it is kept out of UserFields (which the API client, the sandbox and the loader's
// diff read as the body's fields, and UserField does not find it): a row that gives it is
// matched to that user by it, and the client cannot send it. Pulls write it; loads read it.
var UserID = Key{Name: "OneFileID", Answer: "ID", Type: Int, Takes: AllRoles}

// Key is a column that names a record on OneFile rather than a value sent for it.
type Key struct {
	// Name is the column's name in bulk's kinds, templates and pulls.
	Name string
	// Answer is the name OneFile's answers give it.
	Answer string
	Type   Type
	// Takes are the roles whose rows may give it.
	Takes RoleSet
}
