package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/bulkload/bulk/formats/onefile/api"
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
	var uf api.UserFields
	b, err := json.Marshal(fields)
	if err == nil {
		err = json.Unmarshal(b, &uf)
	}
	if err != nil {
		return Created{}, &Refused{Message: fmt.Sprintf("cannot build the request: %v", err)}
	}
	r, err := a.c.CreateUser(ctx, uf)
	if err != nil {
		return Created{}, mapErr(err, true)
	}
	return Created{ID: r.ID, Username: r.Username, Password: r.Password.Reveal()}, nil
}

func (a apiClient) UpdateUser(ctx context.Context, id int, fields map[string]any) error {
	up := api.UserUpdate{}
	for k, v := range fields {
		if f, ok := userFieldByName[k]; ok && f.typ == tDate {
			d, err := api.ParseDate(fmt.Sprint(v))
			if err != nil {
				return &Refused{Message: err.Error()}
			}
			v = d
		}
		up[k] = v
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
