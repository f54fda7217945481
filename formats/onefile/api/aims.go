package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Learning aims and framework templates: guide 4 of OneFile's API series ("Assigning Framework
// Templates, Standards and Units"). The guide itself is not among the vendor documents we hold;
// both endpoints are SEEN in public clients, not documented (docs/onefile-api.md), so their
// answers are read defensively and every guess is in this file.

// AssignStandard puts learner learnerID on standard standardID (POST
// /Standard/{id}/Assign/{learnerId}, no body) and returns the new learning aim's ID.
//
// The answer is the ID; public clients read it as a bare number, so a JSON number, a quoted
// number or an object with "ID" (or "LearningAimID") are all taken. An answer with no readable
// ID is success with ID 0.
//
// A repeat is taken to be refused as the assignments are (400, "already assigned"): such a
// refusal matches ErrAlreadyAssigned, and AssignedByUs when an earlier attempt of this call
// had an unknown outcome (it made the learning aim). That is why the call may be retried after
// an unknown outcome, as an assignment is.
func (c *Client) AssignStandard(ctx context.Context, standardID, learnerID int) (int, error) {
	if standardID <= 0 || learnerID <= 0 {
		return 0, fmt.Errorf("%w: learning aim of learner %d on standard %d: both IDs are needed", ErrInvalidRequest, learnerID, standardID)
	}
	ans, err := c.call(ctx, request{method: http.MethodPost, path: fmt.Sprintf("/Standard/%d/Assign/%d", standardID, learnerID), kind: deduplicated})
	if err != nil {
		markAlreadyAssigned(err)
		return 0, err
	}
	return parseAimID(ans.body), nil
}

// AssignFrameworkTemplate puts user userID on framework template templateID (POST
// /FrameworkTemplate/{id}/Assign/{userId}/{onlyChangeAssigned}, no body). onlyChangeAssigned,
// as public clients name it, re-applies the template to users already on it and assigns no new
// one; a load sends false. A repeat with false is taken to be refused as "already assigned".
func (c *Client) AssignFrameworkTemplate(ctx context.Context, templateID, userID int, onlyChangeAssigned bool) error {
	if templateID <= 0 || userID <= 0 {
		return fmt.Errorf("%w: framework template %d for user %d: both IDs are needed", ErrInvalidRequest, templateID, userID)
	}
	path := fmt.Sprintf("/FrameworkTemplate/%d/Assign/%d/%t", templateID, userID, onlyChangeAssigned)
	_, err := c.call(ctx, request{method: http.MethodPost, path: path, kind: deduplicated})
	markAlreadyAssigned(err)
	return err
}

func markAlreadyAssigned(err error) {
	if ae, ok := err.(*APIError); ok && isAlreadyAssigned(ae.Status, ae.Message) {
		ae.alreadyAssigned = true
	}
}

// parseAimID reads the learning aim ID from AssignStandard's answer (guess G18).
func parseAimID(body []byte) int {
	b := bytes.TrimSpace(body)
	if n, err := strconv.Atoi(strings.Trim(string(b), `"`)); err == nil && n > 0 {
		return n
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return 0
	}
	for _, k := range []string{"ID", "LearningAimID", "Id", "id"} {
		if v, ok := m[k]; ok {
			if n, err := strconv.Atoi(strings.Trim(string(v), `"`)); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}
