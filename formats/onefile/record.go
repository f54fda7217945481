package onefile

import (
	"fmt"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// UserRef names a user a row refers to: by OneFile ID, or by the MISID or e-mail of a user in
// the same run or already on OneFile. A loader tries ID, then MISID, then e-mail.
type UserRef struct {
	ID    int64
	MISID string
	Email string
}

// IsZero reports whether the reference names nobody.
func (u UserRef) IsZero() bool { return u.ID == 0 && u.MISID == "" && u.Email == "" }

// NamedRef names a classroom, placement or standard by OneFile ID or by name (title).
type NamedRef struct {
	ID   int64
	Name string
}

// IsZero reports whether the reference names nothing.
func (n NamedRef) IsZero() bool { return n.ID == 0 && n.Name == "" }

// User is a valid onefile-users row as the API takes it.
type User struct {
	// ID is the user's own OneFile ID when the row gives one (column OneFileID): the loader
	// matches the row to that user first. It is never sent in a body.
	ID    int64 `json:",omitempty"`
	Role  int
	MISID string
	Email string
	// Fields holds the POST /User body fields the row gives and OneFile takes for its role, in
	// the API's JSON form: Role, IDs and LearnerStatusID as int64; dates as
	// "2006-01-02T00:00:00.000Z" (the calendar day as written, at midnight UTC; CreatedOn keeps
	// its time); SupportFunding as bool; NINO upper-case without spaces; L12, L15, L16 as their
	// codes. OrganisationID and the references below are not in it: the loader adds their IDs.
	Fields map[string]any
	// OrganisationID is the row's own, 0 when it gives none.
	OrganisationID  int64
	DefaultAssessor UserRef
	DefaultEmployer UserRef
	Classroom       NamedRef
	Placement       NamedRef
}

// APITime formats a time as the OneFile API writes dates.
func APITime(t time.Time) string { return t.UTC().Format(schema.DateLayout) }

// userRefFields are the fields the conversion turns into references rather than body fields.
var userRefFields = map[int]bool{
	uOneFileID: true, uOrganisationID: true, uAssessorID: true, uAssessorMISID: true, uAssessorEmail: true,
	uEmployerID: true, uEmployerMISID: true, uEmployerEmail: true,
	uClassroomID: true, uClassroomName: true, uPlacementID: true, uPlacementName: true,
}

// UserOf converts a onefile-users row that passed validation. It copies every string it keeps
// (rows are reused once the sink returns). An error means the row was not valid.
func UserOf(r *pipeline.Row) (User, error) {
	if r.Kind() != Users {
		return User{}, fmt.Errorf("row %d is a %s row, not %s", r.Rec.Row, r.Kind().Name, Users.Name)
	}
	role, ok := ParseRole(r.Value(uRole))
	if !ok {
		return User{}, fmt.Errorf("row %d: Role %q is not a OneFile role", r.Rec.Row, r.Value(uRole))
	}
	u := User{Role: role, MISID: clone(r.Value(uMISID)), Email: clone(r.Value(uEmail)), Fields: map[string]any{}}
	for f := range Users.Fields {
		fd := &Users.Fields[f]
		v := r.Value(f)
		if v == "" || userRefFields[f] || !takes[f].Has(role) {
			continue
		}
		val, err := apiValue(r, f, fd, v)
		if err != nil {
			return User{}, fmt.Errorf("row %d: %s %q %v", r.Rec.Row, fd.Name, v, err)
		}
		u.Fields[fd.Name] = val
	}
	u.Fields["Role"] = int64(role)
	var err error
	id := func(f int) int64 {
		if err != nil || r.Value(f) == "" {
			return 0
		}
		n, ok := check.Integer(r.Value(f))
		if !ok {
			err = fmt.Errorf("row %d: %s %q is not a whole number", r.Rec.Row, Users.Fields[f].Name, r.Value(f))
		}
		return n
	}
	u.OrganisationID = id(uOrganisationID)
	u.ID = id(uOneFileID)
	if role == RoleLearner {
		u.DefaultAssessor = UserRef{ID: id(uAssessorID), MISID: clone(r.Value(uAssessorMISID)), Email: clone(r.Value(uAssessorEmail))}
		u.DefaultEmployer = UserRef{ID: id(uEmployerID), MISID: clone(r.Value(uEmployerMISID)), Email: clone(r.Value(uEmployerEmail))}
		u.Classroom = NamedRef{ID: id(uClassroomID), Name: clone(r.Value(uClassroomName))}
	}
	if takes[uPlacementID].Has(role) {
		u.Placement = NamedRef{ID: id(uPlacementID), Name: clone(r.Value(uPlacementName))}
	}
	return u, err
}

// apiValue converts one non-empty cell to its API form.
func apiValue(r *pipeline.Row, f int, fd *pipeline.Field, v string) (any, error) {
	switch fd.Type {
	case pipeline.Integer:
		n, ok := check.Integer(v)
		if !ok {
			return nil, fmt.Errorf("is not a whole number")
		}
		return n, nil
	case pipeline.Date:
		d, err := r.ParseDate(f)
		if err != nil {
			return nil, err
		}
		if fd.Name == "CreatedOn" && d.HasTime {
			return APITime(d.Time), nil
		}
		return APITime(d.Day()), nil
	case pipeline.Bool:
		b, ok := check.Bool(v)
		if !ok {
			return nil, fmt.Errorf("is not true or false")
		}
		return b, nil
	case pipeline.NINO:
		return check.NormalizeNINO(v), nil
	case pipeline.Enum:
		if c := pipeline.CanonicalEnum(fd, v); c != "" {
			return c, nil
		}
		return nil, fmt.Errorf("is not one of the allowed values")
	}
	switch f {
	case uRole:
		role, _ := ParseRole(v)
		return int64(role), nil
	case uL12:
		if c, ok := ParseCode(v, Ethnicities); ok {
			return fmt.Sprint(c), nil
		}
		return nil, fmt.Errorf("is not an ILR ethnicity code")
	case uL15, uL16:
		if c, ok := ParseCode(v, LLDDCategories); ok {
			return fmt.Sprint(c), nil
		}
		return clone(v), nil // unknown codes are warnings: sent as written
	}
	return clone(v), nil
}

// Assignment is a valid onefile-assignments row.
type Assignment struct {
	Learner  UserRef
	User     UserRef // the assignee
	UserRole int     // 0 when the row does not say
	Level    int
	Standard NamedRef // Level 3; optional at Level 2 (narrows the unit search)
	Unit     UnitRef  // Level 2
}

// UnitRef names a unit by OneFile ID (a string, such as "KS_COMM1") or title.
type UnitRef struct {
	ID    string
	Title string
}

// AssignmentOf converts a onefile-assignments row that passed validation, copying its strings.
func AssignmentOf(r *pipeline.Row) (Assignment, error) {
	if r.Kind() != Assignments {
		return Assignment{}, fmt.Errorf("row %d is a %s row, not %s", r.Rec.Row, r.Kind().Name, Assignments.Name)
	}
	level, ok := ParseLevel(r.Value(aLevel))
	if !ok {
		return Assignment{}, fmt.Errorf("row %d: Level %q is not an assignment level", r.Rec.Row, r.Value(aLevel))
	}
	var err error
	id := func(f int) int64 {
		if err != nil || r.Value(f) == "" {
			return 0
		}
		n, ok := check.Integer(r.Value(f))
		if !ok {
			err = fmt.Errorf("row %d: %s %q is not a whole number", r.Rec.Row, Assignments.Fields[f].Name, r.Value(f))
		}
		return n
	}
	a := Assignment{
		Learner: UserRef{ID: id(aLearnerID), MISID: clone(r.Value(aLearnerMISID)), Email: clone(r.Value(aLearnerEmail))},
		User:    UserRef{ID: id(aUserID), MISID: clone(r.Value(aUserMISID)), Email: clone(r.Value(aUserEmail))},
		Level:   level,
	}
	a.UserRole, _ = ParseRole(r.Value(aUserRole))
	if level != LevelAdditional {
		a.Standard = NamedRef{ID: id(aStandardID), Name: clone(r.Value(aStandardTitle))}
	}
	if level == LevelUnitSummary {
		a.Unit = UnitRef{ID: clone(r.Value(aUnitID)), Title: clone(r.Value(aUnitTitle))}
	}
	return a, err
}

// clone copies a string out of a reused row ("" stays free).
func clone(s string) string {
	if s == "" {
		return ""
	}
	return string(append([]byte(nil), s...))
}
