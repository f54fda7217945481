package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// CreateUser creates a user (POST /User).
//
// It is never sent twice. Once the request may have reached OneFile, a
// dropped connection, a timeout or a 5xx answer is returned as an
// *OutcomeUnknownError (errors.Is(err, ErrOutcomeUnknown)): the user may
// exist, so search by MISID or Email before creating again. Failures before
// the request was sent, and 429 answers (refused before any change), are
// retried here.
//
// With the centre's keychain setting on, OneFile answers the organisation
// instead of the user (2026 guide): the result then has ID 0 and
// Keychain set, and the new user must be found by MISID or Email.
// guess G2 (docs/guesses.md).
func (c *Client) CreateUser(ctx context.Context, u UserFields) (CreateResult, error) {
	if err := checkCreate(u); err != nil {
		return CreateResult{}, err
	}
	ans, err := c.call(ctx, request{method: http.MethodPost, path: "/User", body: u, kind: neverTwice})
	if err != nil {
		return CreateResult{}, err
	}
	return parseCreate(ans.body), nil
}

// checkCreate refuses, without a call, a create that lacks a field the
// vendor guide makes mandatory for the user's role (the schema's Required).
func checkCreate(u UserFields) error {
	if !u.Role.Valid() {
		var ids []string
		for _, r := range schema.Roles {
			ids = append(ids, strconv.Itoa(r.ID))
		}
		ids[0] += " (" + RoleLearner.String() + ")"
		return fmt.Errorf("%w: Role %d is not one of %s", ErrInvalidRequest, int(u.Role), strings.Join(ids, ", "))
	}
	var missing []string
	v := reflect.ValueOf(u)
	for _, name := range schema.Required(int(u.Role)) {
		f, _ := schema.UserField(name)
		x := v.Field(fieldIndex[name])
		given := true
		switch f.Type {
		case schema.Text:
			given = strings.TrimSpace(x.String()) != ""
		case schema.Int:
			given = x.Int() > 0
		}
		if !given {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: a new %s needs %s", ErrInvalidRequest, u.Role, strings.Join(missing, ", "))
	}
	return nil
}

// parseCreate reads POST /User's answer. The user's ID is trusted only when
// the answer is recognisably the user (it has Username or Password): the
// keychain answer is the organisation, whose "ID" is the organisation's.
func parseCreate(body []byte) CreateResult {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return CreateResult{Keychain: true} // 200 with no JSON: nothing to go on
	}
	get := func(k string) (json.RawMessage, bool) {
		for key, v := range m {
			if strings.EqualFold(key, k) {
				return v, true
			}
		}
		return nil, false
	}
	_, hasUser := get("Username")
	if _, hasPw := get("Password"); hasPw {
		hasUser = true
	}
	_, isOrg := get("KeychainCreationForNewUserActive")
	if !hasUser || isOrg {
		return CreateResult{Keychain: true}
	}
	var res CreateResult
	if v, ok := get("ID"); ok {
		json.Unmarshal(v, &res.ID)
	}
	if v, ok := get("Username"); ok {
		json.Unmarshal(v, &res.Username)
	}
	if v, ok := get("Password"); ok {
		var pw string
		json.Unmarshal(v, &pw)
		res.Password = Secret(pw)
	}
	return res
}

// UpdateUser changes the given fields of user id (POST /User/{id}; OneFile
// answers 204). An empty update makes no call. Updates are idempotent, so
// they are retried like reads. Changing a learner's DefaultAssessorID or
// DefaultEmployerID is such an update.
// guess G8 (docs/guesses.md).
func (c *Client) UpdateUser(ctx context.Context, id int, fields UserUpdate) error {
	if id <= 0 {
		return fmt.Errorf("%w: update of user %d: no such ID", ErrInvalidRequest, id)
	}
	if len(fields) == 0 {
		return nil
	}
	if err := fields.Validate(); err != nil {
		return err
	}
	_, err := c.call(ctx, request{method: http.MethodPost, path: fmt.Sprintf("/User/%d", id), body: fields, kind: idempotent})
	return err
}

// GetUser reads user id (GET /User/{id}); errors.Is(err, ErrNotFound) when
// there is none.
func (c *Client) GetUser(ctx context.Context, id int) (User, error) {
	var u User
	ans, err := c.call(ctx, request{method: http.MethodGet, path: fmt.Sprintf("/User/%d", id)})
	if err != nil {
		return u, err
	}
	if err := json.Unmarshal(ans.body, &u); err != nil {
		return u, fmt.Errorf("GET /User/%d: the answer is not a user: %v", id, err)
	}
	return u, nil
}

// assignPath is the one place that decides whose ID goes in the path of
// POST /User/{id}/Assign. onefile-api.md: the 2026 guide says {id} "is the
// learner userID", yet the body carries LearnerID, and every public client
// puts the ASSIGNEE (assessor, IQA, employer, observer) in the path and the
// learner in the body. We follow the clients (AssignPathAssignee, the
// default); a target profile that settled otherwise says AssignPathLearner
// (Config.AssignPath). Read literally, the guide's body has no place for
// the assignee but "LearnerID": the learner reading therefore swaps the two,
// learner in the path and assignee in the body's LearnerID. The body to send
// comes back with the path.
// guess G1 (docs/guesses.md).
func assignPath(reading string, assigneeID int, a Assignment) (string, Assignment) {
	if reading == AssignPathLearner {
		learner := a.LearnerID
		a.LearnerID = assigneeID
		return fmt.Sprintf("/User/%d/Assign", learner), a
	}
	return fmt.Sprintf("/User/%d/Assign", assigneeID), a
}

// The readings of POST /User/{id}/Assign's {id}.
const (
	AssignPathAssignee = "assignee" // the user being assigned (public clients; the default)
	AssignPathLearner  = "learner"  // the learner (the 2026 guide's wording)
)

// Assign assigns user assigneeID (an assessor, IQA, employer or observer) to
// a learner at a level (POST /User/{id}/Assign).
//
// OneFile refuses a repeated assignment (400), so a call whose outcome was
// unknown is retried here; if the retry is refused as already assigned, the
// error matches ErrAlreadyAssigned and AssignedByUs(err) is true: the
// assignment exists. An assignment that already existed before the call
// also matches ErrAlreadyAssigned, with AssignedByUs false.
func (c *Client) Assign(ctx context.Context, assigneeID int, a Assignment) error {
	return c.AssignAs(ctx, c.cfg.AssignPath, assigneeID, a)
}

// AssignAs is Assign with the given reading of the path (AssignPathAssignee
// or AssignPathLearner) instead of Config.AssignPath: for bulk probe's
// write test, which tries both.
func (c *Client) AssignAs(ctx context.Context, reading string, assigneeID int, a Assignment) error {
	if err := checkAssign(assigneeID, a); err != nil {
		return err
	}
	path, body := assignPath(reading, assigneeID, a)
	_, err := c.call(ctx, request{method: http.MethodPost, path: path, body: body, kind: deduplicated})
	if ae, ok := err.(*APIError); ok && isAlreadyAssigned(ae.Status, ae.Message) {
		ae.alreadyAssigned = true
	}
	return err
}

func checkAssign(assigneeID int, a Assignment) error {
	bad := func(format string, v ...any) error {
		return fmt.Errorf("%w: assignment of user %d to learner %d: %s", ErrInvalidRequest, assigneeID, a.LearnerID, fmt.Sprintf(format, v...))
	}
	switch {
	case assigneeID <= 0:
		return bad("no assignee ID")
	case a.LearnerID <= 0:
		return bad("no LearnerID")
	case a.Level == LevelLearningAim && a.StandardID <= 0:
		return bad("Level 3 (learning aim) needs a StandardID")
	case a.Level == LevelUnitSummary && strings.TrimSpace(string(a.UnitID)) == "":
		return bad("Level 2 (unit summary) needs a UnitID")
	case a.Level < LevelAdditional || a.Level > LevelLearningAim:
		return bad("Level must be 1, 2 or 3")
	}
	return nil
}

// Customer is GET /Customer: the customer the token belongs to.
func (c *Client) Customer(ctx context.Context) (Customer, error) {
	var cu Customer
	ans, err := c.call(ctx, request{method: http.MethodGet, path: "/Customer"})
	if err != nil {
		return cu, err
	}
	if err := json.Unmarshal(ans.body, &cu); err != nil {
		return cu, fmt.Errorf("GET /Customer: the answer is not a customer: %v", err)
	}
	return cu, nil
}

// Organisations lists the customer's organisations, with their keychain
// setting (POST /Organisation/Search).
func (c *Client) Organisations(ctx context.Context, customerID int) ([]Organisation, error) {
	return searchAll[Organisation](ctx, c, "Organisation", map[string]int{"CustomerID": customerID})
}
