package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// UserFieldNames says which fields OneFile answers for a user of org: those
// a user search carries (the union over the first page of its users) and
// those GET /User/{id} carries for the first of them. Both are nil when the
// organisation has no user. It only reads.
func (c *Client) UserFieldNames(ctx context.Context, org int) (search, get []string, err error) {
	path := fmt.Sprintf("/User/Search/1/%d", c.cfg.PageSize)
	ans, err := c.call(ctx, request{method: http.MethodPost, path: path, body: UserFilter{OrganisationID: org}})
	if err != nil {
		return nil, nil, err
	}
	if ans.status == http.StatusNoContent || len(ans.body) == 0 {
		return nil, nil, nil
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(ans.body, &rows); err != nil {
		return nil, nil, fmt.Errorf("POST %s: the answer is not a list of users: %v", path, err)
	}
	if len(rows) == 0 {
		return nil, nil, nil
	}
	seen := map[string]bool{}
	for _, r := range rows {
		for k := range r {
			seen[k] = true
		}
	}
	search = sortedKeys(seen)
	var id int
	if err := json.Unmarshal(rows[0]["ID"], &id); err != nil || id <= 0 {
		return search, nil, fmt.Errorf("POST %s: the first user has no ID", path)
	}
	ans, err = c.call(ctx, request{method: http.MethodGet, path: fmt.Sprintf("/User/%d", id)})
	if err != nil {
		return search, nil, err
	}
	var one map[string]json.RawMessage
	if err := json.Unmarshal(ans.body, &one); err != nil {
		return search, nil, fmt.Errorf("GET /User/%d: the answer is not a user: %v", id, err)
	}
	seen = map[string]bool{}
	for k := range one {
		seen[k] = true
	}
	return search, sortedKeys(seen), nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// isRateHeader says whether an answer header describes a rate limit
// (X-RateLimit-*, RateLimit-*, Retry-After, X-Rate-Limit-*): OneFile
// documents none, so bulk probe reports any it sees.
func isRateHeader(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "ratelimit") || strings.Contains(n, "rate-limit") || n == "retry-after"
}

// RateLimitHeaders are the rate-limit headers OneFile's answers carried,
// by name, with the last value seen; empty when there were none.
func (c *Client) RateLimitHeaders() map[string]string {
	c.rateMu.Lock()
	defer c.rateMu.Unlock()
	out := make(map[string]string, len(c.rateHdr))
	for k, v := range c.rateHdr {
		out[k] = v
	}
	return out
}

func (c *Client) noteRateHeaders(h http.Header) {
	for k, v := range h {
		if isRateHeader(k) && len(v) > 0 {
			c.rateMu.Lock()
			if c.rateHdr == nil {
				c.rateHdr = map[string]string{}
			}
			c.rateHdr[k] = v[0]
			c.rateMu.Unlock()
		}
	}
}
