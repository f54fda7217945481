package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// tc is a minimal raw HTTP client for the sandbox tests: it deliberately
// does not use package api, so the sandbox is tested on its own terms.
type tc struct {
	t     *testing.T
	srv   *Server
	base  string
	token string
	hc    *http.Client
}

func startSandbox(t *testing.T, cfg Config) *tc {
	t.Helper()
	if cfg.CustomerToken == "" {
		cfg.CustomerToken = "test-customer-token"
	}
	s := New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return &tc{t: t, srv: s, base: ts.URL + "/api/v2.1", hc: ts.Client()}
}

// login authenticates and keeps the session for later calls.
func (c *tc) login() *tc {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+"/Authentication", nil)
	req.Header.Set("X-CustomerToken", c.srv.CustomerToken())
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || len(b) < 16 {
		c.t.Fatalf("authentication: %d %q", resp.StatusCode, b)
	}
	c.token = string(b)
	return c
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

func (r reply) message(t *testing.T) string {
	t.Helper()
	var m struct{ Message string }
	r.json(t, &m)
	return m.Message
}

// call sends body (a string is sent as is, anything else as JSON).
func (c *tc) call(method, path string, body any) reply {
	c.t.Helper()
	rep, err := c.try(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return rep
}

func (c *tc) try(method, path string, body any) (reply, error) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("X-TokenID", c.token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: b, header: resp.Header}, err
}

type obj = map[string]any

// learner returns a valid learner payload for the default seed.
func learner(misid string) obj {
	return obj{"OrganisationID": 5740, "Role": 1, "FirstName": "Ada", "LastName": "Lovelace",
		"Email": strings.ToLower(misid) + "@learner.example", "MISID": misid,
		"DefaultAssessorID": 1001, "ClassroomID": 101, "PlacementID": 202}
}

func staff(role int, misid string) obj {
	o := obj{"OrganisationID": 5740, "Role": role, "FirstName": "Alan", "LastName": "Turing",
		"Email": strings.ToLower(misid) + "@northfield.example", "MISID": misid}
	if role == RoleEmployer || role == RoleObserver {
		o["PlacementID"] = 203
	}
	return o
}

func with(o obj, kv ...any) obj {
	c := obj{}
	for k, v := range o {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func (c *tc) createOK(body obj) int {
	c.t.Helper()
	r := c.call("POST", "/User", body)
	if r.status != 200 {
		c.t.Fatalf("create %v: %d %s", body, r.status, r.body)
	}
	var res struct{ ID int }
	r.json(c.t, &res)
	return res.ID
}
