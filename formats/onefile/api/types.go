package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Role is a OneFile user role.
type Role int

// The roles the API supports (vendor guide "Creating and managing users"; the schema's table).
const (
	RoleLearner         Role = schema.Learner
	RoleTraineeAssessor Role = schema.TraineeAssessor
	RoleAssessor        Role = schema.Assessor
	RoleIQA             Role = schema.IQA
	RoleEmployer        Role = schema.Employer
	RoleObserver        Role = schema.Observer
)

// Valid says whether the API supports the role.
func (r Role) Valid() bool { return schema.ValidRole(int(r)) }

func (r Role) String() string {
	if sr, ok := schema.RoleByID(int(r)); ok {
		return sr.Short
	}
	return "role " + strconv.Itoa(int(r))
}

// Level is how a user is assigned to a learner.
type Level int

// Assignment levels (vendor guide "Assigning users to learners").
const (
	LevelAdditional  Level = 1 // assessor, IQA, employer or observer; nothing more
	LevelUnitSummary Level = 2 // assessor or IQA; needs UnitID
	LevelLearningAim Level = 3 // assessor or IQA; needs StandardID
)

func (l Level) String() string {
	switch l {
	case LevelAdditional:
		return "additional"
	case LevelUnitSummary:
		return "unit summary"
	case LevelLearningAim:
		return "learning aim"
	}
	return "level " + strconv.Itoa(int(l))
}

// Date is a calendar date. OneFile takes ISO-8601 UTC timestamps; a Date is
// sent as midnight UTC, "2026-09-01T00:00:00.000Z", as public clients do.
// The zero Date is "not set" and is left out of requests.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate makes a Date.
func NewDate(year int, month time.Month, day int) Date { return Date{year, month, day} }

// DateOf is the UTC calendar date of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{y, m, d}
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

// parseDate reads "2026-09-01" or an ISO-8601 timestamp (the UTC date is
// taken): what OneFile's answers may carry. Values to send are typed Dates
// already (the loader converts the row's once, by the schema).
func parseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return DateOf(t), nil
		}
	}
	return Date{}, fmt.Errorf("%q is not a date in the form 2026-09-01", s)
}

// IsZero says the date is not set (used by encoding/json's omitzero).
func (d Date) IsZero() bool { return d == Date{} }

// Time is midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String is "2006-01-02", or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// wireDate is how dates are sent.
const wireDate = "2006-01-02T15:04:05.000Z"

// MarshalJSON sends "YYYY-MM-DDT00:00:00.000Z" (null for the zero date).
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.Time().Format(wireDate) + `"`), nil
}

// UnmarshalJSON reads any ISO-8601 form. It is lenient on purpose: a value
// it cannot read becomes the zero date instead of failing a whole page of
// search results.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil || s == "" {
		*d = Date{}
		return nil
	}
	v, err := parseDate(s)
	if err != nil {
		v = Date{}
	}
	*d = v
	return nil
}

// Timestamp is a moment, sent as "2026-09-01T09:30:00.000Z" (UTC, to the
// millisecond): CreatedOn, the one date field whose time the guides show and
// a row may give. The zero Timestamp is "not set" and left out of requests.
type Timestamp struct{ time.Time }

// TimestampOf is t in UTC to the millisecond, as it is sent.
func TimestampOf(t time.Time) Timestamp { return Timestamp{t.UTC().Truncate(time.Millisecond)} }

// MarshalJSON sends the UTC time in wireDate's layout (null for the zero value).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(wireDate) + `"`), nil
}

// UnmarshalJSON reads any ISO-8601 form, leniently as Date does (a value it
// cannot read is the zero value); a form without zone is taken as UTC.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	*t = Timestamp{}
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	for _, l := range dateLayouts {
		if v, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			*t = TimestampOf(v)
			return nil
		}
	}
	return nil
}

// UnitID is a unit's ID. OneFile unit IDs are strings ("KS_COMM1"); a
// number in an answer is read as its decimal text.
type UnitID string

// UnmarshalJSON accepts a string or a number.
// guess G9 (docs/guesses.md).
func (u *UnitID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*u = UnitID(s)
		return nil
	}
	if string(b) == "null" {
		*u = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("unit ID %s is neither text nor a number", b)
	}
	*u = UnitID(n.String())
	return nil
}

// UserFields are the writable fields of a OneFile user, named as in the API: the typed form of
// the schema's table (formats/onefile/schema), which says which roles take and require each;
// a test keeps the two in step. Zero values are left out of requests: OneFile's create takes
// only what is given, and an update must carry only what changes.
//
// Required on create (vendor guide): OrganisationID, FirstName, LastName,
// Email and Role for everyone; learners (Role 1) also DefaultAssessorID,
// ClassroomID and PlacementID; employers (40) and observers (45) also
// PlacementID. Fields from DefaultAssessorID on, PlacementID aside, are for learners only.
type UserFields struct {
	OrganisationID int       `json:"OrganisationID,omitempty"`
	Role           Role      `json:"Role,omitempty"`
	FirstName      string    `json:"FirstName,omitempty"`
	LastName       string    `json:"LastName,omitempty"`
	Email          string    `json:"Email,omitempty"`
	PlacementID    int       `json:"PlacementID,omitempty"`
	MISID          string    `json:"MISID,omitempty"`
	CreatedOn      Timestamp `json:"CreatedOn,omitzero"` // a moment: its time is kept
	MobileNumber   string    `json:"MobileNumber,omitempty"`
	Telephone      string    `json:"Telephone,omitempty"`
	Website        string    `json:"Website,omitempty"`
	WorkAddress    string    `json:"WorkAddress,omitempty"`
	HomeAddress    string    `json:"HomeAddress,omitempty"`
	DOB            Date      `json:"DOB,omitzero"`

	// Learners only.
	DefaultAssessorID int    `json:"DefaultAssessorID,omitempty"`
	ClassroomID       int    `json:"ClassroomID,omitempty"`
	DefaultEmployerID int    `json:"DefaultEmployerID,omitempty"`
	CompanyName       string `json:"CompanyName,omitempty"`
	ProviderID        *int   `json:"ProviderID,omitempty"` // a pointer: 0 is a value the guide shows
	ULN               string `json:"ULN,omitempty"`
	NINO              string `json:"NINO,omitempty"`
	EpisodeName       string `json:"EpisodeName,omitempty"`
	CentreRegister    Date   `json:"CentreRegister,omitzero"`
	StartOn           Date   `json:"StartOn,omitzero"`
	PlannedEndDate    Date   `json:"PlannedEndDate,omitzero"`
	L12               string `json:"L12,omitempty"` // ethnicity
	L13               string `json:"L13,omitempty"` // sex
	L14               string `json:"L14,omitempty"` // LLDD / health problem
	L15               string `json:"L15,omitempty"` // disability
	L16               string `json:"L16,omitempty"` // learning difficulty
	SupportFunding    *bool  `json:"SupportFunding,omitempty"`
	LearnerStatusID   *int   `json:"LearnerStatusID,omitempty"` // a pointer: 0 is a value the guide shows
}

// User is a user as GET /User/{id} and User/Search answer it.
type User struct {
	ID int `json:"ID"`
	UserFields
	Username     string `json:"Username,omitempty"`
	LastModified string `json:"LastModified,omitempty"` // as OneFile sends it
}

// Name is "First Last", for messages.
func (u User) Name() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// UserUpdate is a partial update: API field name (as in UserFields' JSON
// tags, e.g. "DefaultAssessorID") to new value (string, int, bool, Role or
// Date). Only the fields to change belong in it.
type UserUpdate map[string]any

// fieldIndex maps UserFields' JSON names to their struct field index.
var fieldIndex = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[UserFields]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// goTypes are the Go types a UserUpdate carries for each of the schema's JSON types.
var goTypes = map[schema.Type]reflect.Type{
	schema.Text: reflect.TypeFor[string](),
	schema.Int:  reflect.TypeFor[int](),
	schema.Date: reflect.TypeFor[Date](),
	schema.Bool: reflect.TypeFor[bool](),
}

// Validate checks every key is a writable field and every value has that
// field's type (any integer type for a whole number, such as Role).
func (u UserUpdate) Validate() error {
	for k, v := range u {
		f, ok := schema.UserField(k)
		if !ok {
			return fmt.Errorf("%w: %q is not a OneFile user field", ErrInvalidRequest, k)
		}
		want := goTypes[f.Type]
		got := reflect.TypeOf(v)
		if k == "CreatedOn" {
			want = reflect.TypeFor[Timestamp]() // a moment, not a day
		}
		if got == nil || (got != want && !(f.Type == schema.Int && got.Kind() == reflect.Int)) {
			return fmt.Errorf("%w: %s must be %s, not %T", ErrInvalidRequest, k, want, v)
		}
	}
	return nil
}

// Secret is a value that must not be shown: it prints as "[redacted]" with
// any fmt verb, in JSON and in slog. Reveal gives the value.
type Secret string

// Reveal is the secret itself; call it only to write the owner-only
// credentials file.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return "[redacted]" }
func (s Secret) GoString() string { return `"[redacted]"` }

// MarshalJSON redacts.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Format redacts under every verb, %x and %q included.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, "[redacted]") }

// CreateResult is what POST /User answered.
type CreateResult struct {
	// ID of the new user; 0 when the answer did not carry it (the centre's
	// keychain setting is on): find the user by MISID or Email.
	ID       int
	Username string
	// Password is only given with the keychain setting off. It is a secret:
	// write it only to the owner-only credentials file.
	Password Secret
	// Keychain is true when the answer was the organisation object of the
	// keychain setting (2026 guide), not the user.
	Keychain bool
}

// Assignment assigns a user to a learner at a level.
type Assignment struct {
	LearnerID  int    `json:"LearnerID"`
	Level      Level  `json:"Level"`
	StandardID int    `json:"StandardID,omitempty"` // Level 3 only
	UnitID     UnitID `json:"UnitID,omitempty"`     // Level 2 only
}

// Customer is the answer of GET /Customer.
type Customer struct {
	ID   int    `json:"ID"`
	Name string `json:"Name"`
}

// Organisation is an organisation (centre) of the customer.
type Organisation struct {
	ID                               int    `json:"ID"`
	Name                             string `json:"Name"`
	KeychainCreationForNewUserActive bool   `json:"KeychainCreationForNewUserActive"`
	KeychainEmailSuppression         bool   `json:"KeychainEmailSuppression"`
}

// Classroom is a classroom (group of learners).
type Classroom struct {
	ID             int    `json:"ID"`
	Name           string `json:"Name"`
	MISID          string `json:"MISID,omitempty"`
	OrganisationID int    `json:"OrganisationID,omitempty"`
}

// Placement is an employer's workplace.
type Placement struct {
	ID             int    `json:"ID"`
	Name           string `json:"Name"`
	MISID          string `json:"MISID,omitempty"`
	OrganisationID int    `json:"OrganisationID,omitempty"`
}

// Standard is a standard (learning aim). Standard IDs are integers.
type Standard struct {
	ID    int    `json:"ID"`
	Title string `json:"Title"`
}

// Unit is a unit of a standard. Unit IDs are strings.
type Unit struct {
	ID         UnitID `json:"ID"`
	Title      string `json:"Title"`
	NDAQCode   string `json:"NDAQCode,omitempty"`
	Display    string `json:"Display,omitempty"`
	StandardID int    `json:"StandardID,omitempty"`
}

// UserFilter selects users; empty fields match everything. OneFile's text
// matching is not documented (the sandbox matches whole values ignoring
// case): check the users you get back.
type UserFilter struct {
	OrganisationID int    `json:"OrganisationID,omitempty"`
	Role           Role   `json:"Role,omitempty"`
	FirstName      string `json:"FirstName,omitempty"`
	LastName       string `json:"LastName,omitempty"`
	Email          string `json:"Email,omitempty"`
	MISID          string `json:"MISID,omitempty"`
}

// NameFilter selects classrooms or placements.
type NameFilter struct {
	OrganisationID int    `json:"OrganisationID,omitempty"`
	Name           string `json:"Name,omitempty"`
}

// StandardFilter selects standards.
type StandardFilter struct {
	OrganisationID int    `json:"OrganisationID,omitempty"`
	Title          string `json:"Title,omitempty"`
}

// UnitFilter selects units.
type UnitFilter struct {
	OrganisationID int    `json:"OrganisationID,omitempty"`
	StandardID     int    `json:"StandardID,omitempty"`
	Title          string `json:"Title,omitempty"`
}
