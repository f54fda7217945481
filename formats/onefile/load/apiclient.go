package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/internal/httpx"
)

// NewAPIClient adapts the OneFile API client to the loader: field maps to the client's typed
// fields, and the client's errors to the loader's (ErrOutcomeUnknown, ErrAuth,
// ErrAlreadyAssigned, *Refused).
func NewAPIClient(c *api.Client) Client { return apiClient{c} }

type apiClient struct{ c *api.Client }

func (a apiClient) Stats() Stats {
	s := a.c.Stats()
	return Stats{Calls: s.Calls, Retries: s.Retries, TooMany: s.TooMany}
}

func (a apiClient) Organisations(ctx context.Context) ([]Organisation, error) {
	cu, err := a.c.Customer(ctx)
	if err != nil {
		return nil, mapErr(err, false)
	}
	os, err := a.c.Organisations(ctx, cu.ID)
	if err != nil {
		return nil, mapErr(err, false)
	}
	out := make([]Organisation, len(os))
	for i, o := range os {
		out[i] = Organisation{ID: o.ID, CustomerID: cu.ID, Name: o.Name, Keychain: o.KeychainCreationForNewUserActive}
	}
	return out, nil
}

func (a apiClient) SearchUsers(ctx context.Context, f UserFilter, each func([]User) error) error {
	err := a.c.SearchUsers(ctx, api.UserFilter{OrganisationID: f.OrganisationID, Email: f.Email, MISID: f.MISID}, func(page []api.User) error {
		us := make([]User, len(page))
		for i := range page {
			us[i] = User{ID: page[i].ID, Fields: fieldsOf(page[i])}
		}
		return each(us)
	})
	return mapErr(err, false)
}

// fieldsOf gives a user's fields by API name, as JSON would (numbers as float64).
func fieldsOf(u api.User) map[string]any {
	b, err := json.Marshal(u)
	m := map[string]any{}
	if err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

func (a apiClient) CreateUser(ctx context.Context, fields map[string]any) (Created, error) {
	uf, err := userFieldsOf(fields)
	if err != nil {
		return Created{}, &Refused{Message: "cannot build the request: " + err.Error()}
	}
	r, err := a.c.CreateUser(ctx, uf)
	if err != nil {
		return Created{}, mapErr(err, true)
	}
	return Created{ID: r.ID, Username: r.Username, Password: r.Password.Reveal()}, nil
}

func (a apiClient) UpdateUser(ctx context.Context, id int, fields map[string]any) error {
	up := make(api.UserUpdate, len(fields))
	for k, v := range fields {
		f, ok := schema.UserField(k)
		if !ok {
			return &Refused{Message: fmt.Sprintf("cannot build the request: %q is not a OneFile user field", k)}
		}
		tv, err := typedValue(f, v)
		if err != nil {
			return &Refused{Message: "cannot build the request: " + err.Error()}
		}
		up[k] = tv
	}
	return mapErr(a.c.UpdateUser(ctx, id, up), true)
}

func (a apiClient) GetUser(ctx context.Context, id int) (User, error) {
	u, err := a.c.GetUser(ctx, id)
	if err != nil {
		return User{}, mapErr(err, false)
	}
	return User{ID: u.ID, Fields: fieldsOf(u), Complete: true}, nil
}

func (a apiClient) Assign(ctx context.Context, assignee int, x Assignment) error {
	err := a.c.Assign(ctx, assignee, api.Assignment{LearnerID: x.LearnerID, Level: api.Level(x.Level), StandardID: x.StandardID, UnitID: api.UnitID(x.UnitID)})
	if api.AssignedByUs(err) {
		return nil // the client's own retry found its earlier attempt had worked
	}
	return mapErr(err, true)
}

func (a apiClient) Classrooms(ctx context.Context, org int) ([]Ref, error) {
	rs, err := a.c.SearchClassrooms(ctx, api.NameFilter{OrganisationID: org})
	out := make([]Ref, len(rs))
	for i, r := range rs {
		out[i] = Ref{ID: strconv.Itoa(r.ID), Name: r.Name}
	}
	return out, mapErr(err, false)
}

func (a apiClient) Placements(ctx context.Context, org int) ([]Ref, error) {
	rs, err := a.c.SearchPlacements(ctx, api.NameFilter{OrganisationID: org})
	out := make([]Ref, len(rs))
	for i, r := range rs {
		out[i] = Ref{ID: strconv.Itoa(r.ID), Name: r.Name}
	}
	return out, mapErr(err, false)
}

func (a apiClient) Standards(ctx context.Context, org int) ([]Ref, error) {
	rs, err := a.c.SearchStandards(ctx, api.StandardFilter{OrganisationID: org})
	out := make([]Ref, len(rs))
	for i, r := range rs {
		out[i] = Ref{ID: strconv.Itoa(r.ID), Name: r.Title}
	}
	return out, mapErr(err, false)
}

func (a apiClient) Units(ctx context.Context, org int) ([]Ref, error) {
	rs, err := a.c.SearchUnits(ctx, api.UnitFilter{OrganisationID: org})
	out := make([]Ref, len(rs))
	for i, r := range rs {
		out[i] = Ref{ID: string(r.ID), Name: r.Title, StandardID: r.StandardID}
	}
	return out, mapErr(err, false)
}

// mapErr turns the client's errors into the loader's. For a change, only a definite answer
// (4xx other than 401/408/429, or a request the client refused to send) is a refusal; anything
// else may have made the change.
func mapErr(err error, change bool) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, api.ErrAuth) {
		return fmt.Errorf("%w: %v", ErrAuth, err)
	}
	if errors.Is(err, api.ErrAlreadyAssigned) {
		return fmt.Errorf("%w: %v", ErrAlreadyAssigned, err)
	}
	// A redirect not followed, or a certificate not trusted, changed nothing and will answer the
	// same way every time: a refusal, not an outcome to look up and try again.
	if errors.Is(err, api.ErrInvalidRequest) || errors.Is(err, httpx.ErrRedirect) || httpx.TLSProblem(err) != nil {
		return &Refused{Message: err.Error()}
	}
	var ae *api.APIError
	if errors.As(err, &ae) && !errors.Is(err, api.ErrOutcomeUnknown) && ae.Status >= 400 && ae.Status < 500 &&
		ae.Status != http.StatusRequestTimeout && ae.Status != http.StatusTooManyRequests {
		return &Refused{Status: ae.Status, Message: ae.Error()}
	}
	if change {
		return fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
	}
	return err
}

// typedValue converts one of the loader's field values to the Go type the API client sends for
// the field's schema type: text as string, whole numbers as int, dates as api.Date, booleans
// as bool. The loader's values are the kind's conversion (formats/onefile.UserOf): whole
// numbers as int or int64 (float64 once a plan has been through JSON), dates as the timestamp
// text in schema.DateLayout that the kind wrote, so a date is read in that one layout only.
func typedValue(f schema.Field, v any) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("%s %v (%T) is not %s", f.Name, v, v, f.Type) }
	switch f.Type {
	case schema.Text:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case schema.Int:
		switch n := v.(type) {
		case int:
			return n, nil
		case int64:
			return int(n), nil
		case float64:
			if n == float64(int(n)) {
				return int(n), nil
			}
		}
	case schema.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case schema.Date:
		s, _ := v.(string)
		t, err := time.Parse(schema.DateLayout, s)
		if err != nil {
			return bad()
		}
		if f.Name == "CreatedOn" {
			return api.TimestampOf(t), nil // the kind kept the time a row gave
		}
		return api.DateOf(t), nil
	}
	return bad()
}

// userFieldsOf converts the loader's fields of a new user to the client's typed struct, whose
// fields are named as the API's (a test in the api package holds it to the schema).
func userFieldsOf(fields map[string]any) (api.UserFields, error) {
	var uf api.UserFields
	dst := reflect.ValueOf(&uf).Elem()
	for k, v := range fields {
		f, ok := schema.UserField(k)
		if !ok {
			return uf, fmt.Errorf("%q is not a OneFile user field", k)
		}
		tv, err := typedValue(f, v)
		if err != nil {
			return uf, err
		}
		field := dst.FieldByName(k)
		switch x := tv.(type) {
		case int:
			if field.Kind() == reflect.Pointer {
				field.Set(reflect.ValueOf(&x)) // *int: 0 is a value to send
			} else {
				field.SetInt(int64(x)) // int, or api.Role
			}
		case bool:
			field.Set(reflect.ValueOf(&x)) // *bool: false is a value to send
		default:
			field.Set(reflect.ValueOf(x))
		}
	}
	return uf, nil
}
