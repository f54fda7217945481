package api

import (
	"context"
	"fmt"
	"net/http"
)

// ArchivePath is the one place that knows how a user is archived (guess G17): POST /User/{id}/Archive, no
// body. GUESS: the vendor documents we hold describe no archive call, and onefile-api.md names
// none; this is the shape the other user actions take (POST /User/{id}, POST /User/{id}/Assign).
// Check it with a centre's beta before relying on it (docs/onefile-api.md, "Leavers"); if a
// centre answers otherwise, this function is all that changes.
func ArchivePath(userID int) string { return fmt.Sprintf("/User/%d/Archive", userID) }

// ArchiveUser archives user id (a leaver). Archiving twice leaves the user archived, so the
// call is retried like an update.
func (c *Client) ArchiveUser(ctx context.Context, id int) error {
	if id <= 0 {
		return fmt.Errorf("%w: archive of user %d: no such ID", ErrInvalidRequest, id)
	}
	_, err := c.call(ctx, request{method: http.MethodPost, path: ArchivePath(id), kind: idempotent})
	return err
}
