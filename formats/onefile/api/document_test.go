package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// captured is one request as it reached the server.
type captured struct {
	method, path    string
	token, customer string // X-TokenID, X-CustomerToken
	contentType     string
	body            map[string]any
	rawBody         string
}

// TestRequestsMatchTheGuides captures what the client sends, on loopback, and compares it with
// the examples of the vendor guides (shared/reference/vendor-docs: "Creating and managing users"
// 2026, "Assigning users to learners" v2): method, path, headers and the body's shape, field by
// field. The server answers as the 2026 guide does (a create answers the organisation object).
func TestRequestsMatchTheGuides(t *testing.T) {
	var (
		mu  sync.Mutex
		got []captured
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := captured{method: r.Method, path: strings.TrimPrefix(r.URL.Path, "/api/v2.1"), token: r.Header.Get("X-TokenID"),
			customer: r.Header.Get("X-CustomerToken"), contentType: r.Header.Get("Content-Type"), rawBody: string(b)}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &c.body); err != nil {
				t.Errorf("%s %s: the body is not a JSON object: %v", r.Method, r.URL.Path, err)
			}
		}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		switch {
		case c.path == "/Authentication":
			io.WriteString(w, "session-1")
		case c.path == "/User" && r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ID":5740,"Name":"Example Organisation - Business","KeychainCreationForNewUserActive":true,"KeychainEmailSuppression":false}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer ts.Close()
	c, err := New(Config{BaseURL: ts.URL + "/api/v2.1", CustomerToken: testToken, RatePerMinute: -1, AllowInsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	l := learner("L-DOC")
	l.DOB = NewDate(2007, time.May, 4)
	zero := 0
	l.ProviderID = &zero // the guide's example sends 0
	if _, err := c.CreateUser(ctx(t), l); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx(t), UserFields{OrganisationID: 5740, Role: RoleAssessor, FirstName: "Sam", LastName: "Patel", Email: "sam@ng.example"}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateUser(ctx(t), 137945, UserUpdate{"MISID": "NewMISID"}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateUser(ctx(t), 137945, UserUpdate{"DefaultAssessorID": 1001}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Assignment{{LearnerID: 137945, Level: LevelLearningAim, StandardID: 301},
		{LearnerID: 137945, Level: LevelUnitSummary, UnitID: "KS_COMM1"}, {LearnerID: 137945, Level: LevelAdditional}} {
		if err := c.Assign(ctx(t), 1001, a); err != nil {
			t.Fatal(err)
		}
	}

	isoDate := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`) // "2022-02-23T12:49:33.150Z"
	keys := func(m map[string]any) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	want := []struct {
		method, path, keys string
		check              func(t *testing.T, body map[string]any)
	}{
		{"POST", "/Authentication", "", nil},
		// Create User (Learner): the mandatory fields, then optional ones by their guide names.
		{"POST", "/User", "ClassroomID,DOB,DefaultAssessorID,Email,FirstName,LastName,MISID,OrganisationID,PlacementID,ProviderID,Role", func(t *testing.T, b map[string]any) {
			if b["Role"] != float64(1) || b["OrganisationID"] != float64(5740) || b["DefaultAssessorID"] != float64(1001) {
				t.Errorf("learner IDs not sent as numbers: %v", b)
			}
			if v, ok := b["ProviderID"]; !ok || v != float64(0) {
				t.Errorf("ProviderID 0 not sent as 0: %v", v)
			}
			if s, _ := b["DOB"].(string); !isoDate.MatchString(s) {
				t.Errorf("DOB %v is not in the guide's form 2022-02-23T12:49:33.150Z", b["DOB"])
			}
		}},
		// Create User (All other User Roles): the four mandatory fields and Role.
		{"POST", "/User", "Email,FirstName,LastName,OrganisationID,Role", func(t *testing.T, b map[string]any) {
			if b["Role"] != float64(5) {
				t.Errorf("staff role %v", b["Role"])
			}
		}},
		// Updating Users: only the fields that change.
		{"POST", "/User/137945", "MISID", func(t *testing.T, b map[string]any) {
			if b["MISID"] != "NewMISID" {
				t.Errorf("update body %v", b)
			}
		}},
		{"POST", "/User/137945", "DefaultAssessorID", nil},
		// Assign: {LearnerID, Level} plus StandardID at Level 3, UnitID at Level 2 (assignee in
		// the path: guesses.md G1).
		{"POST", "/User/1001/Assign", "LearnerID,Level,StandardID", func(t *testing.T, b map[string]any) {
			if b["Level"] != float64(3) || b["LearnerID"] != float64(137945) || b["StandardID"] != float64(301) {
				t.Errorf("level 3 body %v", b)
			}
		}},
		{"POST", "/User/1001/Assign", "LearnerID,Level,UnitID", func(t *testing.T, b map[string]any) {
			if b["UnitID"] != "KS_COMM1" || b["Level"] != float64(2) {
				t.Errorf("level 2 body %v", b)
			}
		}},
		{"POST", "/User/1001/Assign", "Level,LearnerID", nil},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("%s %s %s", g.method, g.path, g.rawBody)
		}
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		wk := strings.Split(w.keys, ",")
		sort.Strings(wk)
		if g.method != w.method || g.path != w.path || (w.keys != "" && keys(g.body) != strings.Join(wk, ",")) {
			t.Errorf("request %d: %s %s %s, want %s %s with %s", i, g.method, g.path, keys(g.body), w.method, w.path, strings.Join(wk, ","))
			continue
		}
		if w.path == "/Authentication" {
			if g.customer != testToken || g.token != "" || g.rawBody != "" {
				t.Errorf("authentication: X-CustomerToken %q, X-TokenID %q, body %q; want the customer token and an empty body", g.customer, g.token, g.rawBody)
			}
			continue
		}
		if g.token != "session-1" || g.customer != "" {
			t.Errorf("%s %s: X-TokenID %q, X-CustomerToken %q; want the session only", g.method, g.path, g.token, g.customer)
		}
		if !strings.HasPrefix(g.contentType, "application/json") {
			t.Errorf("%s %s: Content-Type %q", g.method, g.path, g.contentType)
		}
		if w.check != nil {
			w.check(t, g.body)
		}
	}
}
