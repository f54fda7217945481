package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// maxPages stops a search against a server that ignores paging.
const maxPages = 100000

// searchPaged pages POST /{entity}/Search/{page}/{size} from page 1 until
// OneFile answers 204 (nothing more), an empty array, or a short page.
// guess G6 (docs/guesses.md).
func searchPaged[T any](ctx context.Context, c *Client, entity string, filter any, fn func([]T) error) error {
	size := c.cfg.PageSize
	for page := 1; page <= maxPages; page++ {
		path := fmt.Sprintf("/%s/Search/%d/%d", entity, page, size)
		ans, err := c.call(ctx, request{method: http.MethodPost, path: path, body: filter})
		if err != nil {
			return err
		}
		if ans.status == http.StatusNoContent || len(ans.body) == 0 {
			return nil
		}
		var rows []T
		if err := json.Unmarshal(ans.body, &rows); err != nil {
			return fmt.Errorf("POST %s: the answer is not a list of %s records: %v", path, entity, err)
		}
		if len(rows) == 0 {
			return nil
		}
		if err := fn(rows); err != nil {
			return err
		}
		if len(rows) < size {
			return nil
		}
	}
	return fmt.Errorf("%s search: more than %d pages; OneFile seems to ignore the page number", entity, maxPages)
}

// searchAll collects every page.
func searchAll[T any](ctx context.Context, c *Client, entity string, filter any) ([]T, error) {
	var all []T
	err := searchPaged(ctx, c, entity, filter, func(rows []T) error {
		all = append(all, rows...)
		return nil
	})
	return all, err
}

// SearchUsers pages through the users the filter selects (in OneFile's
// order), calling fn with each page; an error from fn stops the search and
// is returned. Use it for the one paged download of an organisation's users
// per run, not one search per row.
func (c *Client) SearchUsers(ctx context.Context, f UserFilter, fn func(page []User) error) error {
	return searchPaged(ctx, c, "User", f, fn)
}

// FindUsers returns every user the filter selects (for small lookups, such
// as finding a user by MISID after an unknown outcome).
func (c *Client) FindUsers(ctx context.Context, f UserFilter) ([]User, error) {
	return searchAll[User](ctx, c, "User", f)
}

// SearchClassrooms returns every classroom the filter selects.
func (c *Client) SearchClassrooms(ctx context.Context, f NameFilter) ([]Classroom, error) {
	return searchAll[Classroom](ctx, c, "Classroom", f)
}

// SearchPlacements returns every placement the filter selects.
func (c *Client) SearchPlacements(ctx context.Context, f NameFilter) ([]Placement, error) {
	return searchAll[Placement](ctx, c, "Placement", f)
}

// SearchStandards returns every standard the filter selects.
func (c *Client) SearchStandards(ctx context.Context, f StandardFilter) ([]Standard, error) {
	return searchAll[Standard](ctx, c, "Standard", f)
}

// SearchUnits returns every unit the filter selects.
func (c *Client) SearchUnits(ctx context.Context, f UnitFilter) ([]Unit, error) {
	return searchAll[Unit](ctx, c, "Unit", f)
}
