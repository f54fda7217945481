package load

import (
	"context"
	"errors"
)

// Client is what the loader needs from OneFile. The api package's client satisfies it through a
// thin adapter (see cmd/bulk); keeping the loader on this small interface keeps its logic apart
// from HTTP and lets the choice of endpoints stay in the client.
//
// User field maps are keyed by the API's field names (FirstName, DefaultAssessorID, ...; the
// schema's table) and hold the kind's conversion: text as string, whole numbers as int or int64,
// SupportFunding as bool, dates as timestamp text in schema.DateLayout. The API adapter turns
// them into the client's typed api.UserFields by the schema.
type Client interface {
	// Organisations lists the organisations (centres) the token may load into.
	Organisations(ctx context.Context) ([]Organisation, error)
	// SearchUsers pages through the users matching f, calling each once per page.
	SearchUsers(ctx context.Context, f UserFilter, each func([]User) error) error
	// CreateUser creates a user. An error matching ErrOutcomeUnknown means the user may exist.
	CreateUser(ctx context.Context, fields map[string]any) (Created, error)
	// UpdateUser changes the given fields only.
	UpdateUser(ctx context.Context, id int, fields map[string]any) error
	// GetUser reads one user whole (GET /User/{id}): the answer a plan diffs against when a
	// search answered only some of the user's fields.
	GetUser(ctx context.Context, id int) (User, error)
	// Assign assigns user assignee to a learner. A refusal because the assignment exists
	// matches ErrAlreadyAssigned.
	Assign(ctx context.Context, assignee int, a Assignment) error
	// Classrooms, Placements, Standards and Units list an organisation's reference data.
	Classrooms(ctx context.Context, org int) ([]Ref, error)
	Placements(ctx context.Context, org int) ([]Ref, error)
	Standards(ctx context.Context, org int) ([]Ref, error)
	Units(ctx context.Context, org int) ([]Ref, error)
}

// Stats is what a client may tell about its calls, for the progress line.
type Stats struct {
	Calls, Retries, TooMany int64
}

// StatsClient is a Client that counts its calls.
type StatsClient interface {
	Stats() Stats
}

// Organisation is a centre.
type Organisation struct {
	ID         int
	CustomerID int // the customer (OneFile's account) it belongs to; 0 when not known
	Name       string
	Keychain   bool // new users get a keychain; the create answer carries no user ID
}

// UserFilter selects users; empty fields match everything.
type UserFilter struct {
	OrganisationID int
	Email, MISID   string
}

// User is a user as OneFile answers a search or a read: its ID and fields by API name.
//
// A search may answer summaries (ID, names, MISID, Email, Role, ...), so a field absent from a
// search answer is unknown, not empty; Complete is set for the answer of GET /User/{id}, where
// an absent field is empty.
type User struct {
	ID       int
	Fields   map[string]any
	Complete bool
}

// known reports whether u's value of field is known: present in the answer, or the answer is
// the whole user.
// guess G3 (docs/guesses.md).
func (u *User) known(field string) bool {
	if u.Complete {
		return true
	}
	_, ok := u.Fields[field]
	return ok
}

// Created is what a create answered. ID is 0 when the organisation's keychain setting is on.
type Created struct {
	ID                 int
	Username, Password string
}

// Assignment is one assignment of a user to a learner.
type Assignment struct {
	LearnerID  int
	Level      int
	StandardID int
	UnitID     string
}

// Ref is a classroom, placement, standard or unit.
type Ref struct {
	ID         string // unit IDs are text; the others are numbers written as text
	Name       string // Name, or Title for standards and units
	StandardID int    // units: the standard they belong to
}

// Errors a Client returns, matched with errors.Is. The adapter maps the client's own errors to
// these.
var (
	// ErrOutcomeUnknown: the change may or may not have been made.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrAuth: the token was refused; nothing will work until it is fixed.
	ErrAuth = errors.New("OneFile authentication failed")
	// ErrAlreadyAssigned: the assignment exists.
	ErrAlreadyAssigned = errors.New("already assigned")
)

// Refused is a definite refusal by OneFile: nothing was changed. Any other error from a change is
// treated as possibly having happened.
type Refused struct {
	Status  int
	Message string
}

func (e *Refused) Error() string { return e.Message }
