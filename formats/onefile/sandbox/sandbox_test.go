package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthentication(t *testing.T) {
	// The TTL must outlast the calls between the login and "valid session" on a loaded machine
	// under -race (300ms did not: the session expired first); "expired session" then sleeps past it.
	const ttl = 2 * time.Second
	c := startSandbox(t, Config{SessionTTL: ttl})
	for _, tt := range []struct {
		name   string
		token  string
		status int
	}{
		{"no customer token", "", 401},
		{"wrong customer token", "not-the-token", 401},
		{"right customer token", c.srv.CustomerToken(), 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", c.base+"/Authentication", nil)
			if tt.token != "" {
				req.Header.Set("X-CustomerToken", tt.token)
			}
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}

	c.login()
	good := c.token
	for _, tt := range []struct {
		name   string
		token  string
		status int
	}{
		{"no session", "", 401},
		{"unknown session", "bogus", 401},
		{"customer token is not a session", c.srv.CustomerToken(), 401},
		{"valid session", good, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.token = tt.token
			if r := c.call("GET", "/Customer", nil); r.status != tt.status {
				t.Errorf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
		})
	}
	t.Run("expired session", func(t *testing.T) {
		c.token = good
		time.Sleep(ttl + 50*time.Millisecond)
		r := c.call("GET", "/Customer", nil)
		if r.status != 401 || !strings.Contains(r.message(t), "expired") {
			t.Errorf("after the TTL: %d %s, want 401 expired", r.status, r.body)
		}
		c.login()
		if r := c.call("GET", "/Customer", nil); r.status != 200 {
			t.Errorf("after re-authenticating: %d", r.status)
		}
	})
	if got := c.srv.Snapshot().Unauthorized; got != 4 {
		t.Errorf("Snapshot.Unauthorized = %d, want 4", got)
	}
}

func TestCustomerAndOrganisations(t *testing.T) {
	for _, keychain := range []bool{false, true} {
		c := startSandbox(t, Config{Keychain: keychain}).login()
		var cust struct {
			ID   int
			Name string
		}
		c.call("GET", "/Customer", nil).json(t, &cust)
		if cust.ID != 2070 || cust.Name == "" {
			t.Fatalf("customer %+v", cust)
		}
		var orgs []struct {
			ID                               int
			KeychainCreationForNewUserActive bool
		}
		c.call("POST", "/Organisation/Search", obj{"CustomerID": cust.ID}).json(t, &orgs)
		if len(orgs) != 2 || orgs[0].ID != 5740 || orgs[0].KeychainCreationForNewUserActive != keychain {
			t.Errorf("keychain %v: organisations %+v", keychain, orgs)
		}
		if r := c.call("POST", "/Organisation/Search", obj{"CustomerID": 1}); r.status != 204 || len(r.body) != 0 {
			t.Errorf("other customer: %d %q, want 204 and no body", r.status, r.body)
		}
	}
}

func TestCreateUserRequiredFields(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	valid := map[int]obj{
		RoleLearner:         learner("L-REQ"),
		RoleTraineeAssessor: staff(4, "S-4"),
		RoleAssessor:        staff(5, "S-5"),
		RoleIQA:             staff(10, "S-10"),
		RoleEmployer:        staff(40, "S-40"),
		RoleObserver:        staff(45, "S-45"),
	}
	required := map[int][]string{
		RoleLearner:         {"OrganisationID", "FirstName", "LastName", "Email", "Role", "DefaultAssessorID", "ClassroomID", "PlacementID"},
		RoleTraineeAssessor: {"OrganisationID", "FirstName", "LastName", "Email", "Role"},
		RoleAssessor:        {"OrganisationID", "FirstName", "LastName", "Email", "Role"},
		RoleIQA:             {"OrganisationID", "FirstName", "LastName", "Email", "Role"},
		RoleEmployer:        {"OrganisationID", "FirstName", "LastName", "Email", "Role", "PlacementID"},
		RoleObserver:        {"OrganisationID", "FirstName", "LastName", "Email", "Role", "PlacementID"},
	}
	for role, fields := range required {
		for _, f := range fields {
			for _, how := range []string{"missing", "empty"} {
				t.Run(fmt.Sprintf("role %d %s %s", role, how, f), func(t *testing.T) {
					var body obj
					if how == "missing" {
						body = with(valid[role], f, nil)
					} else {
						body = with(valid[role], f, map[bool]any{true: "", false: 0}[strings.HasSuffix(f, "Name") || f == "Email"])
					}
					r := c.call("POST", "/User", body)
					if r.status != 400 || !strings.Contains(r.message(t), f+" is required") {
						t.Errorf("%d %s, want 400 naming %s", r.status, r.body, f)
					}
				})
			}
		}
		t.Run(fmt.Sprintf("role %d all required fields", role), func(t *testing.T) {
			if id := c.createOK(valid[role]); id < 100001 {
				t.Errorf("new ID %d", id)
			}
		})
	}
	before := len(c.srv.Snapshot().Users)
	if before != 7+6 {
		t.Errorf("sandbox holds %d users, want the 7 seeded and the 6 valid ones", before)
	}
}

func TestCreateUserValidation(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	for _, tt := range []struct {
		name string
		body obj
		want string // "" = accepted
	}{
		{"learner with optional fields", with(learner("L1"), "ULN", "1000000043", "DOB", "2007-05-04T00:00:00.000Z",
			"StartOn", "2026-09-01", "SupportFunding", true, "DefaultEmployerID", 1005, "L13", "F"), ""},
		{"lower-case property names", obj{"organisationid": 5740, "role": 5, "firstname": "a", "lastname": "b", "email": "ab@x.example"}, ""},
		{"unknown organisation", with(staff(5, "S1"), "OrganisationID", 9), "OrganisationID 9 does not exist"},
		{"unknown classroom", with(learner("L2"), "ClassroomID", 999), "ClassroomID 999 does not exist"},
		{"classroom of another organisation", with(learner("L3"), "ClassroomID", 151), "ClassroomID 151 belongs to organisation 5741"},
		{"unknown placement", with(learner("L4"), "PlacementID", 999), "PlacementID 999 does not exist"},
		{"placement of another organisation", with(staff(40, "E1"), "PlacementID", 251), "PlacementID 251 belongs to organisation 5741"},
		{"default assessor is an IQA", with(learner("L5"), "DefaultAssessorID", 1003), "DefaultAssessorID 1003 is not an assessor"},
		{"default assessor is a trainee assessor", with(learner("L5b"), "DefaultAssessorID", 1004), ""},
		{"default assessor missing", with(learner("L6"), "DefaultAssessorID", 424242), "DefaultAssessorID 424242 does not exist"},
		{"default assessor of another organisation", with(learner("L7"), "DefaultAssessorID", 1501), "DefaultAssessorID 1501 belongs to organisation 5741"},
		{"default employer is an assessor", with(learner("L8"), "DefaultEmployerID", 1002), "DefaultEmployerID 1002 is not an employer"},
		{"learner field on an assessor", with(staff(5, "S2"), "ULN", "1000000043"), "ULN applies to learners only"},
		{"classroom on an employer", with(staff(40, "E2"), "ClassroomID", 101), "ClassroomID applies to learners only"},
		{"unknown role", with(staff(5, "S3"), "Role", 7), "Role 7 is not a role"},
		{"unknown field", with(staff(5, "S4"), "Forename", "x"), `unknown field "Forename"`},
		{"ID cannot be given", with(staff(5, "S5"), "ID", 5), "ID cannot be set"},
		{"UK date", with(learner("L9"), "DOB", "04/05/2007"), "DOB must be an ISO-8601 date"},
		{"number as text", with(learner("L10"), "ClassroomID", "101"), "ClassroomID must be a whole number"},
		{"bad email", with(staff(5, "S6"), "Email", "not an email"), "is not an email address"},
		{"not JSON", nil, "not a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body any = tt.body
			if tt.body == nil {
				body = "{oops"
			}
			r := c.call("POST", "/User", body)
			if tt.want == "" {
				if r.status != 200 {
					t.Fatalf("%d %s, want 200", r.status, r.body)
				}
				return
			}
			if r.status != 400 || !strings.Contains(r.message(t), tt.want) {
				t.Errorf("%d %s, want 400 with %q", r.status, r.body, tt.want)
			}
		})
	}
	// Dates come back in OneFile's form.
	var u map[string]any
	r := c.call("POST", "/User/Search", obj{"MISID": "L1"})
	var rows []map[string]any
	r.json(t, &rows)
	if len(rows) != 1 {
		t.Fatalf("search L1: %s", r.body)
	}
	c.call("GET", fmt.Sprintf("/User/%v", rows[0]["ID"]), nil).json(t, &u)
	if u["StartOn"] != "2026-09-01T00:00:00.000Z" || u["DOB"] != "2007-05-04T00:00:00.000Z" || u["SupportFunding"] != true {
		t.Errorf("stored learner %v", u)
	}
	if _, ok := u["Password"]; ok {
		t.Errorf("GET /User answers the password")
	}
}

func TestCreateUserKeychain(t *testing.T) {
	for _, tt := range []struct {
		keychain bool
		wantKeys []string
		noKeys   []string
	}{
		{false, []string{"ID", "Username", "Password"}, []string{"KeychainCreationForNewUserActive"}},
		{true, []string{"ID", "Name", "KeychainCreationForNewUserActive"}, []string{"Username", "Password"}},
	} {
		t.Run(fmt.Sprintf("keychain %v", tt.keychain), func(t *testing.T) {
			c := startSandbox(t, Config{Keychain: tt.keychain}).login()
			r := c.call("POST", "/User", learner("K-1"))
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			var m map[string]any
			r.json(t, &m)
			for _, k := range tt.wantKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("answer %s lacks %s", r.body, k)
				}
			}
			for _, k := range tt.noKeys {
				if _, ok := m[k]; ok {
					t.Errorf("answer %s has %s", r.body, k)
				}
			}
			var found []struct{ ID int }
			c.call("POST", "/User/Search", obj{"MISID": "k-1"}).json(t, &found)
			if len(found) != 1 || found[0].ID < 100001 {
				t.Fatalf("the user is not findable by MISID: %+v", found)
			}
			if tt.keychain && m["ID"] == float64(found[0].ID) {
				t.Errorf("keychain answer carries the user's ID")
			}
			if !tt.keychain && m["ID"] != float64(found[0].ID) {
				t.Errorf("answer ID %v, user is %d", m["ID"], found[0].ID)
			}
		})
	}
}

func TestUpdateUser(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	id := c.createOK(learner("U-1"))
	path := fmt.Sprintf("/User/%d", id)
	for _, tt := range []struct {
		name   string
		path   string
		body   any
		status int
		want   string
	}{
		{"change MISID", path, obj{"MISID": "U-1b"}, 204, ""},
		{"change default assessor", path, obj{"DefaultAssessorID": 1002}, 204, ""},
		{"set default employer", path, obj{"DefaultEmployerID": 1005}, 204, ""},
		{"empty update", path, obj{}, 204, ""},
		{"default assessor is an employer", path, obj{"DefaultAssessorID": 1005}, 400, "is not an assessor"},
		{"unknown classroom", path, obj{"ClassroomID": 7}, 400, "ClassroomID 7 does not exist"},
		{"clear a required field", path, obj{"LastName": ""}, 400, "LastName is required"},
		{"change role", path, obj{"Role": 5}, 400, "Role cannot be changed"},
		{"unknown user", "/User/99999999", obj{"MISID": "x"}, 404, "was not found"},
		{"not a number", "/User/abc", obj{"MISID": "x"}, 404, "was not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.call("POST", tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.want != "" && !strings.Contains(r.message(t), tt.want) {
				t.Errorf("message %s, want %q", r.body, tt.want)
			}
			if tt.status == 204 && len(r.body) != 0 {
				t.Errorf("204 with a body %q", r.body)
			}
		})
	}
	var u map[string]any
	c.call("GET", path, nil).json(t, &u)
	if u["MISID"] != "U-1b" || u["DefaultAssessorID"] != float64(1002) || u["DefaultEmployerID"] != float64(1005) ||
		u["LastName"] != "Lovelace" || u["ClassroomID"] != float64(101) {
		t.Errorf("after updates: %v", u)
	}
}

func TestAssign(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	learnerID := c.createOK(learner("A-1"))
	observer := c.createOK(staff(45, "OBS-1"))
	otherOrgLearner := c.createOK(obj{"OrganisationID": 5741, "Role": 1, "FirstName": "O", "LastName": "Ther",
		"Email": "o@x.example", "DefaultAssessorID": 1501, "ClassroomID": 151, "PlacementID": 251})
	as := func(assignee int, body obj) (int, obj) { return assignee, body }
	for _, tt := range []struct {
		name     string
		assignee int
		body     obj
		status   int
		want     string
	}{
		{"learning aim assessor", 1001, obj{"LearnerID": learnerID, "Level": 3, "StandardID": 301}, 204, ""},
		{"learning aim IQA", 1003, obj{"LearnerID": learnerID, "Level": 3, "StandardID": 301}, 204, ""},
		{"learning aim trainee assessor", 1004, obj{"LearnerID": learnerID, "Level": 3, "StandardID": 302}, 204, ""},
		{"learning aim employer", 1005, obj{"LearnerID": learnerID, "Level": 3, "StandardID": 301}, 400, "cannot be assigned at Level 3"},
		{"learning aim without standard", 1002, obj{"LearnerID": learnerID, "Level": 3}, 400, "StandardID is required"},
		{"learning aim unknown standard", 1002, obj{"LearnerID": learnerID, "Level": 3, "StandardID": 999}, 400, "StandardID 999 does not exist"},
		{"unit summary assessor", 1002, obj{"LearnerID": learnerID, "Level": 2, "UnitID": "KS_COMM1"}, 204, ""},
		{"unit summary without unit", 1002, obj{"LearnerID": learnerID, "Level": 2}, 400, "UnitID is required"},
		{"unit summary unknown unit", 1002, obj{"LearnerID": learnerID, "Level": 2, "UnitID": "NOPE"}, 400, `UnitID "NOPE" does not exist`},
		{"unit summary observer", observer, obj{"LearnerID": learnerID, "Level": 2, "UnitID": "KS_COMM1"}, 400, "cannot be assigned at Level 2"},
		{"unit given as a number", 1002, obj{"LearnerID": learnerID, "Level": 2, "UnitID": 5}, 400, "the body must be"},
		{"additional employer", 1005, obj{"LearnerID": learnerID, "Level": 1}, 204, ""},
		{"additional observer", observer, obj{"LearnerID": learnerID, "Level": 1}, 204, ""},
		{"additional with a standard", 1002, obj{"LearnerID": learnerID, "Level": 1, "StandardID": 301}, 400, "not used with Level 1"},
		{"learner as assignee", 1010, obj{"LearnerID": learnerID, "Level": 1}, 400, "cannot be assigned at Level 1"},
		{"assigning to a non-learner", 1001, obj{"LearnerID": 1002, "Level": 1}, 400, "LearnerID 1002 is not a learner"},
		{"learner of another organisation", 1001, obj{"LearnerID": otherOrgLearner, "Level": 1}, 400, "belongs to organisation 5741"},
		{"no level", 1001, obj{"LearnerID": learnerID}, 400, "Level is required"},
		{"unknown assignee", 999999, obj{"LearnerID": learnerID, "Level": 1}, 404, "was not found"},
		{"repeat learning aim", 1001, obj{"LearnerID": learnerID, "Level": 3, "StandardID": 301}, 400, "already assigned"},
		{"repeat additional", 1005, obj{"LearnerID": learnerID, "Level": 1}, 400, "already assigned"},
		{"same assessor, other level", 1001, obj{"LearnerID": learnerID, "Level": 1}, 204, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assignee, body := as(tt.assignee, tt.body)
			r := c.call("POST", fmt.Sprintf("/User/%d/Assign", assignee), body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.want != "" && !strings.Contains(r.message(t), tt.want) {
				t.Errorf("message %s, want %q", r.body, tt.want)
			}
		})
	}
	snap := c.srv.Snapshot()
	if len(snap.Assignments) != 7 {
		t.Errorf("%d assignments recorded, want 7: %+v", len(snap.Assignments), snap.Assignments)
	}
	if a := snap.Assignments[0]; a != (Assignment{AssigneeID: 1001, LearnerID: learnerID, Level: 3, StandardID: 301}) {
		t.Errorf("first assignment %+v", a)
	}
}

func TestSearch(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	for i := range 25 {
		c.createOK(with(learner(fmt.Sprintf("P-%02d", i)), "LastName", "Pager"))
	}
	t.Run("paging", func(t *testing.T) {
		var all []int
		for page := 1; ; page++ {
			r := c.call("POST", fmt.Sprintf("/User/Search/%d/10", page), obj{"LastName": "pager"})
			if r.status == 204 {
				if len(r.body) != 0 {
					t.Errorf("204 with a body")
				}
				if page != 4 {
					t.Errorf("204 on page %d, want 4", page)
				}
				break
			}
			var rows []struct{ ID int }
			r.json(t, &rows)
			want := map[int]int{1: 10, 2: 10, 3: 5}[page]
			if len(rows) != want {
				t.Errorf("page %d has %d rows, want %d", page, len(rows), want)
			}
			for _, row := range rows {
				all = append(all, row.ID)
			}
			if page > 5 {
				t.Fatal("paging does not end")
			}
		}
		if len(all) != 25 {
			t.Fatalf("%d users over the pages, want 25", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i] <= all[i-1] {
				t.Errorf("pages are not in ID order: %v", all)
			}
		}
	})
	var rows []map[string]any
	for _, tt := range []struct {
		name   string
		path   string
		filter any
		status int
		count  int
	}{
		{"unpaged users", "/User/Search", obj{"LastName": "Pager"}, 200, 25},
		{"email ignores case", "/User/Search", obj{"Email": "P-07@LEARNER.example"}, 200, 1},
		{"MISID ignores case", "/User/Search", obj{"MISID": "p-07"}, 200, 1},
		{"role", "/User/Search", obj{"Role": 10}, 200, 1},
		{"organisation and role", "/User/Search/1/100", obj{"OrganisationID": 5741, "Role": 5}, 200, 1},
		{"empty filter matches all", "/User/Search", obj{"MISID": ""}, 200, 7 + 25},
		{"no body matches all", "/User/Search", nil, 200, 7 + 25},
		{"no match", "/User/Search", obj{"MISID": "nobody"}, 204, 0},
		{"unknown filter", "/User/Search", obj{"Surname": "x"}, 400, 0},
		{"page 0", "/User/Search/0/10", obj{}, 400, 0},
		{"page size too big", "/User/Search/1/100000", obj{}, 400, 0},
		{"classroom by name", "/Classroom/Search", obj{"OrganisationID": 5740, "Name": "customer service l2"}, 200, 1},
		{"classrooms of an organisation", "/Classroom/Search/1/2", obj{"OrganisationID": 5740}, 200, 2},
		{"placement by name", "/Placement/Search", obj{"Name": "Acme Logistics Ltd"}, 200, 1},
		{"placement partial name", "/Placement/Search", obj{"Name": "Acme"}, 204, 0},
		{"standard by title", "/Standard/Search", obj{"OrganisationID": 5740, "Title": "Business Administrator (Level 3)"}, 200, 1},
		{"units of a standard", "/Unit/Search", obj{"StandardID": 301}, 200, 3},
		{"unit by title", "/Unit/Search/1/10", obj{"Title": "COMMUNICATION"}, 200, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.call("POST", tt.path, tt.filter)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			if r.status == 200 {
				r.json(t, &rows)
				if len(rows) != tt.count {
					t.Errorf("%d rows, want %d", len(rows), tt.count)
				}
			}
		})
	}
	var units []map[string]any
	c.call("POST", "/Unit/Search", obj{"Title": "Communication"}).json(t, &units)
	if units[0]["ID"] != "KS_COMM1" {
		t.Errorf("unit IDs are strings: %v", units)
	}
}

func TestRateLimit(t *testing.T) {
	// The window must hold the authentication and the 7 calls on a loaded machine under -race
	// (with 400ms the first call could leave it before the fifth, which was then let through);
	// the two cases run in parallel so the wait past the window is paid once.
	const window = 2 * time.Second
	for _, retryAfter := range []bool{false, true} {
		t.Run(fmt.Sprintf("Retry-After %v", retryAfter), func(t *testing.T) {
			t.Parallel()
			c := startSandbox(t, Config{RateLimit: 5, RateWindow: window, RetryAfter: retryAfter}).login()
			var statuses []int
			for range 7 {
				r := c.call("GET", "/Customer", nil)
				statuses = append(statuses, r.status)
				if r.status == 429 && (r.header.Get("Retry-After") != "") != retryAfter {
					t.Errorf("Retry-After %q with the knob %v", r.header.Get("Retry-After"), retryAfter)
				}
			}
			// The authentication was the first of the 5 calls.
			if want := "[200 200 200 200 429 429 429]"; fmt.Sprint(statuses) != want {
				t.Errorf("statuses %v, want %s", statuses, want)
			}
			time.Sleep(window + 50*time.Millisecond)
			if r := c.call("GET", "/Customer", nil); r.status != 200 {
				t.Errorf("after the window: %d", r.status)
			}
			snap := c.srv.Snapshot()
			if snap.RateLimited != 3 || snap.Statuses["GET /Customer"][429] != 3 || snap.Calls["GET /Customer"] != 8 {
				t.Errorf("snapshot: limited %d, statuses %v, calls %v", snap.RateLimited, snap.Statuses, snap.Calls)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	w := newWindow(2, time.Second)
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at   time.Duration
		ok   bool
		wait time.Duration
	}{
		{0, true, 0},
		{100 * time.Millisecond, true, 0},
		{200 * time.Millisecond, false, 800 * time.Millisecond},
		{time.Second, true, 0}, // the call at 0 has left the window
		{1050 * time.Millisecond, false, 50 * time.Millisecond},
		{1100 * time.Millisecond, true, 0},
	}
	for _, s := range steps {
		ok, wait := w.allow(t0.Add(s.at))
		if ok != s.ok || wait != s.wait {
			t.Errorf("at %v: %v %v, want %v %v", s.at, ok, wait, s.ok, s.wait)
		}
	}
	if ok, _ := (*window)(nil).allow(t0); !ok {
		t.Error("no limit refused a call")
	}
}

func TestConcurrentCreates(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	const workers, each = 8, 20
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				r, err := c.try("POST", "/User", learner(fmt.Sprintf("C-%d-%d", w, i)))
				if err == nil && r.status != 200 {
					err = fmt.Errorf("%d %s", r.status, r.body)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	snap := c.srv.Snapshot()
	if snap.UsersByRole[RoleLearner] != 1+workers*each {
		t.Errorf("%d learners, want %d", snap.UsersByRole[RoleLearner], 1+workers*each)
	}
	if d := snap.Duplicates(); len(d) != 0 {
		t.Errorf("duplicates: %v", d)
	}
	seen := map[int]bool{}
	for _, u := range snap.Users {
		if seen[u.ID] {
			t.Errorf("ID %d twice", u.ID)
		}
		seen[u.ID] = true
	}
}

func TestNotFound(t *testing.T) {
	c := startSandbox(t, Config{}).login()
	for _, p := range []string{"/Nothing", "/User/1/Unassign", "/Framework/Search"} {
		if r := c.call("POST", p, obj{}); r.status != 404 {
			t.Errorf("POST %s: %d", p, r.status)
		}
	}
	if got := c.srv.Snapshot().Calls["other"]; got != 3 {
		t.Errorf("calls to unknown endpoints %d, want 3", got)
	}
}
