package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// RawUser is a user as OneFile answered it, field by field as sent: what bulk pull writes
// back. Unlike User it keeps which fields the answer carried, so a search that answers
// summaries (some fields only) can be told from one that answers whole users, and numbers
// keep their text (json.Number) rather than passing through float64.
type RawUser map[string]any

// ID is the user's OneFile ID, 0 when the answer carries none.
func (u RawUser) ID() int {
	n, _ := u["ID"].(json.Number)
	id, err := n.Int64()
	if err != nil {
		return 0
	}
	return int(id)
}

// decodeRaw decodes a JSON object or array keeping numbers as json.Number.
func decodeRaw(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// ListUsers pages through the users the filter selects as OneFile answers them
// (POST /User/Search/{page}/{size}), calling fn once per page. Only one page is held at a
// time, so an organisation of any size is read in flat memory.
func (c *Client) ListUsers(ctx context.Context, f UserFilter, fn func(page []RawUser) error) error {
	return searchPaged(ctx, c, "User", f, func(rows []json.RawMessage) error {
		page := make([]RawUser, 0, len(rows))
		for _, r := range rows {
			var u RawUser
			if err := decodeRaw(r, &u); err != nil || u == nil {
				return fmt.Errorf("user search: an answer row is not a user: %.80s", r)
			}
			page = append(page, u)
		}
		return fn(page)
	})
}

// GetUserRaw reads user id whole (GET /User/{id}) as OneFile answers it.
func (c *Client) GetUserRaw(ctx context.Context, id int) (RawUser, error) {
	ans, err := c.call(ctx, request{method: http.MethodGet, path: fmt.Sprintf("/User/%d", id)})
	if err != nil {
		return nil, err
	}
	var u RawUser
	if err := decodeRaw(ans.body, &u); err != nil || u == nil {
		return nil, fmt.Errorf("GET /User/%d: the answer is not a user", id)
	}
	return u, nil
}
