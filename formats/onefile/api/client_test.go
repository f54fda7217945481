package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

func TestNewChecksConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{CustomerToken: "x"}, "OneFile API root: not a usable target URL: no URL was given"},
		{Config{BaseURL: "wsapibeta.onefile.co.uk/api/v2.1", CustomerToken: "x"}, "is not an http(s) URL"},
		{Config{BaseURL: "https://wsapibeta.onefile.co.uk/api/v2.1/"}, "no OneFile customer token"},
		// Issue 16 items 10 and 11.
		{Config{BaseURL: "https://me:Pa55word@wsapibeta.onefile.co.uk/api/v2.1", CustomerToken: "x"}, "https://[redacted]@wsapibeta.onefile.co.uk/api/v2.1"},
		{Config{BaseURL: "http://wsapibeta.onefile.co.uk/api/v2.1", CustomerToken: "x"}, "plain HTTP"},
		{Config{BaseURL: "https://wsapibeta.onefile.co.uk/api/v2.1?org=1", CustomerToken: "x"}, "query"},
	} {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "Pa55word") {
			t.Errorf("New(%v): %v, want %q", tt.cfg, err, tt.want)
		}
	}
	for in, want := range map[string]string{
		"HTTPS://WSAPIBETA.onefile.co.uk.:443//api/v2.1/": "https://wsapibeta.onefile.co.uk/api/v2.1",
		"http://localhost:8089/api/v2.1/":                 "http://127.0.0.1:8089/api/v2.1",
	} {
		c, err := New(Config{BaseURL: in, CustomerToken: "x"})
		if err != nil || c.BaseURL() != want {
			t.Errorf("New(%q): BaseURL %v, %v; want %q", in, c, err, want)
		}
	}
	if _, err := New(Config{BaseURL: "http://lms.example.org/api/v2.1", CustomerToken: "x", AllowInsecureHTTP: true}); err != nil {
		t.Errorf("AllowInsecureHTTP: %v", err)
	}
	c, err := New(Config{BaseURL: "https://wsapibeta.onefile.co.uk/api/v2.1/", CustomerToken: "x"})
	if err != nil || c.BaseURL() != "https://wsapibeta.onefile.co.uk/api/v2.1" {
		t.Errorf("%v %v", c, err)
	}
}

func TestReadCalls(t *testing.T) {
	e := newEnv(t, sandbox.Config{Keychain: true}, Config{})
	cu, err := e.c.Customer(ctx(t))
	if err != nil || cu.ID != 2070 {
		t.Fatalf("Customer: %+v %v", cu, err)
	}
	orgs, err := e.c.Organisations(ctx(t), cu.ID)
	if err != nil || len(orgs) != 2 || !orgs[0].KeychainCreationForNewUserActive {
		t.Fatalf("Organisations: %+v %v", orgs, err)
	}
	u, err := e.c.GetUser(ctx(t), 1010)
	if err != nil || u.MISID != "L-0001" || u.Role != RoleLearner || u.DefaultAssessorID != 1001 || u.Name() != "Sam Carter" {
		t.Fatalf("GetUser: %+v %v", u, err)
	}
	_, err = e.c.GetUser(ctx(t), 4242)
	var ae *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.Status != 404 {
		t.Errorf("GetUser of nobody: %v", err)
	}
	if !strings.Contains(err.Error(), "OneFile refused GET /User/4242 (HTTP 404 Not Found): User") {
		t.Errorf("message for people: %q", err)
	}
	cls, err := e.c.SearchClassrooms(ctx(t), NameFilter{OrganisationID: 5740, Name: "Team Leader L3"})
	if err != nil || len(cls) != 1 || cls[0].ID != 104 {
		t.Errorf("classrooms %+v %v", cls, err)
	}
	pls, err := e.c.SearchPlacements(ctx(t), NameFilter{OrganisationID: 5740})
	if err != nil || len(pls) != 4 {
		t.Errorf("placements %+v %v", pls, err)
	}
	sts, err := e.c.SearchStandards(ctx(t), StandardFilter{Title: "Customer Service Practitioner (Level 2)"})
	if err != nil || len(sts) != 1 || sts[0].ID != 302 {
		t.Errorf("standards %+v %v", sts, err)
	}
	units, err := e.c.SearchUnits(ctx(t), UnitFilter{StandardID: 301})
	if err != nil || len(units) != 3 || units[0].ID != "KS_COMM1" {
		t.Errorf("units %+v %v", units, err)
	}
	none, err := e.c.SearchUnits(ctx(t), UnitFilter{Title: "no such unit"})
	if err != nil || len(none) != 0 {
		t.Errorf("no units: %+v %v", none, err)
	}
}

func TestCreateUser(t *testing.T) {
	for _, keychain := range []bool{false, true} {
		t.Run(fmt.Sprintf("keychain %v", keychain), func(t *testing.T) {
			e := newEnv(t, sandbox.Config{Keychain: keychain}, Config{})
			in := learner("CU-1")
			in.DOB = NewDate(2007, time.May, 4)
			in.StartOn = NewDate(2026, time.September, 1)
			yes := true
			in.SupportFunding = &yes
			res, err := e.c.CreateUser(ctx(t), in)
			if err != nil {
				t.Fatal(err)
			}
			snap := e.sb.Snapshot()
			made := snap.Users[len(snap.Users)-1]
			if made.MISID != "CU-1" || made.Fields["DOB"] != "2007-05-04T00:00:00.000Z" ||
				made.Fields["StartOn"] != "2026-09-01T00:00:00.000Z" || made.Fields["SupportFunding"] != true {
				t.Errorf("sandbox holds %+v", made)
			}
			if _, sent := made.Fields["ULN"]; sent {
				t.Errorf("an empty field was sent")
			}
			if keychain {
				if res.ID != 0 || !res.Keychain || res.Password != "" {
					t.Errorf("keychain result %+v: the organisation ID must not pass for the user's", res)
				}
				return
			}
			if res.ID != made.ID || res.Keychain || res.Username != made.Username || res.Password.Reveal() == "" {
				t.Errorf("result %+v, user %d %s", res, made.ID, made.Username)
			}
		})
	}
}

func TestCreateUserRefusedLocally(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, Config{})
	for _, tt := range []struct {
		u    UserFields
		want string
	}{
		{UserFields{}, "Role 0 is not one of"},
		{UserFields{Role: RoleEmployer, OrganisationID: 5740, FirstName: "a", LastName: "b", Email: "a@b.c"}, "a new employer needs PlacementID"},
		{UserFields{Role: RoleLearner, OrganisationID: 5740, FirstName: "a", Email: "a@b.c", PlacementID: 201},
			"a new learner needs LastName, DefaultAssessorID, ClassroomID"},
	} {
		_, err := e.c.CreateUser(ctx(t), tt.u)
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v, want %q", err, tt.want)
		}
	}
	if n := e.sb.Snapshot().Calls["POST /User"]; n != 0 {
		t.Errorf("%d creates sent", n)
	}
	// OneFile's own refusals come back as they are, unretried.
	bad := learner("CU-2")
	bad.DefaultAssessorID = 1003 // an IQA
	_, err := e.c.CreateUser(ctx(t), bad)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Message, "DefaultAssessorID 1003 is not an assessor") {
		t.Errorf("refused create: %v", err)
	}
	if n := e.sb.Snapshot().Calls["POST /User"]; n != 1 {
		t.Errorf("a 400 was retried: %d calls", n)
	}
}

func TestCreateNeverTwice(t *testing.T) {
	for _, tt := range []struct {
		name    string
		faults  sandbox.FaultSpec
		timeout time.Duration
		exists  bool // the change was committed
	}{
		{"500 before the change", sandbox.FaultSpec{Error500: 1}, 0, false},
		{"connection dropped after the change", sandbox.FaultSpec{Drop: 1}, 0, true},
		// The timeout must outlast sending the request on a loaded machine: one that fires
		// before the request is written is a known outcome, not this case.
		{"no answer within the timeout", sandbox.FaultSpec{Stall: 1}, 2 * time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{Faults: tt.faults}, Config{Timeout: tt.timeout})
			_, err := e.c.CreateUser(ctx(t), learner("NT-1"))
			var ou *OutcomeUnknownError
			if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &ou) {
				t.Fatalf("error %v, want outcome unknown", err)
			}
			if !strings.Contains(err.Error(), "search by MISID or Email before trying again") {
				t.Errorf("message %q does not say what to do", err)
			}
			if n := e.sb.Snapshot().Calls["POST /User"]; n != 1 {
				t.Errorf("the create was sent %d times", n)
			}
			want := map[bool]int{true: 1, false: 0}[tt.exists]
			if got := e.usersWithMISID("NT-1"); got != want {
				t.Errorf("sandbox holds %d users NT-1, want %d", got, want)
			}
			// The loader's next step: look the user up.
			found, err := e.c.FindUsers(ctx(t), UserFilter{OrganisationID: 5740, MISID: "NT-1"})
			if err != nil || len(found) != want {
				t.Errorf("lookup after unknown outcome: %d users, %v", len(found), err)
			}
		})
	}
}

func TestCreateRetriedWhenNotSent(t *testing.T) {
	t.Run("429 is retried", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Burst429: 0.5, BurstLen: 2, Seed: 5}}, Config{MaxRetries: 20})
		for i := range 10 {
			if _, err := e.c.CreateUser(ctx(t), learner(fmt.Sprintf("R-%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		snap := e.sb.Snapshot()
		if snap.Burst429 == 0 || e.c.Stats().TooMany != int64(snap.Burst429) {
			t.Errorf("sandbox 429s %d, client saw %d", snap.Burst429, e.c.Stats().TooMany)
		}
		if len(snap.Duplicates()) != 0 || snap.UsersByRole[1] != 11 {
			t.Errorf("learners %d, duplicates %v", snap.UsersByRole[1], snap.Duplicates())
		}
	})
	t.Run("refused connection is not an unknown outcome", func(t *testing.T) {
		c, err := New(Config{BaseURL: "http://127.0.0.1:1/api/v2.1", CustomerToken: testToken, MaxRetries: 1, BackoffBase: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateUser(ctx(t), learner("X"))
		var ne *NetworkError
		if err == nil || errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &ne) {
			t.Errorf("error %v: nothing was sent, so the outcome is known", err)
		}
		if !strings.Contains(err.Error(), "gave up after 2 attempts: cannot reach OneFile for POST /Authentication") {
			t.Errorf("message %q", err)
		}
	})
}

func TestRetriesReadsAndUpdates(t *testing.T) {
	var events []RetryEvent
	var mu sync.Mutex
	e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Error500: 0.3, Drop: 0.2, AllCalls: true, Seed: 9}},
		Config{MaxRetries: 30, OnRetry: func(ev RetryEvent) { mu.Lock(); events = append(events, ev); mu.Unlock() }})
	for i := range 20 {
		if _, err := e.c.GetUser(ctx(t), 1001); err != nil {
			t.Fatal(err)
		}
		if err := e.c.UpdateUser(ctx(t), 1010, UserUpdate{"MISID": fmt.Sprintf("L-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := e.c.GetUser(ctx(t), 1010)
	if err != nil || u.MISID != "L-19" {
		t.Errorf("after updates: %s %v", u.MISID, err)
	}
	snap, st := e.sb.Snapshot(), e.c.Stats()
	if snap.Faults500 == 0 || snap.Dropped == 0 {
		t.Fatalf("the faults did not fire: %+v", snap)
	}
	// Go's transport replays a GET by itself when a reused connection drops
	// before the answer, so some drops never reach the client as errors.
	if st.Retries != st.ServerErrors+st.NetworkErrors || len(events) != int(st.Retries) || st.NetworkErrors == 0 {
		t.Errorf("retries %d, events %d, client stats %+v", st.Retries, len(events), st)
	}
	if st.ServerErrors != int64(snap.Faults500) || st.NetworkErrors > int64(snap.Dropped) ||
		st.Calls+int64(snap.Dropped)-st.NetworkErrors != int64(snap.Total) {
		t.Errorf("client stats %+v vs sandbox %d calls, %d 500s, %d drops", st, snap.Total, snap.Faults500, snap.Dropped)
	}
}

func TestGiveUp(t *testing.T) {
	e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Error500: 1, AllCalls: true}}, Config{MaxRetries: 2})
	_, err := e.c.Customer(ctx(t))
	var g *GaveUpError
	if !errors.As(err, &g) || g.Attempts != 3 {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), "gave up after 3 attempts: OneFile failed on POST /Authentication (HTTP 500") {
		t.Errorf("message %q", err)
	}
}

func TestAssign(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, Config{})
	res, err := e.c.CreateUser(ctx(t), learner("AS-1"))
	if err != nil {
		t.Fatal(err)
	}
	l := res.ID
	for _, tt := range []struct {
		name     string
		assignee int
		a        Assignment
		check    func(error) bool
	}{
		{"learning aim", 1001, Assignment{LearnerID: l, Level: LevelLearningAim, StandardID: 301}, func(err error) bool { return err == nil }},
		{"unit summary", 1003, Assignment{LearnerID: l, Level: LevelUnitSummary, UnitID: "KS_PM1"}, func(err error) bool { return err == nil }},
		{"additional employer", 1005, Assignment{LearnerID: l, Level: LevelAdditional}, func(err error) bool { return err == nil }},
		{"repeat", 1001, Assignment{LearnerID: l, Level: LevelLearningAim, StandardID: 301}, func(err error) bool {
			return errors.Is(err, ErrAlreadyAssigned) && !AssignedByUs(err)
		}},
		{"employer at level 3", 1005, Assignment{LearnerID: l, Level: LevelLearningAim, StandardID: 301}, func(err error) bool {
			var ae *APIError
			return errors.As(err, &ae) && ae.Status == 400 && !errors.Is(err, ErrAlreadyAssigned)
		}},
		{"level 3 without standard", 1001, Assignment{LearnerID: l, Level: LevelLearningAim}, func(err error) bool {
			return errors.Is(err, ErrInvalidRequest)
		}},
		{"level 2 without unit", 1001, Assignment{LearnerID: l, Level: LevelUnitSummary}, func(err error) bool {
			return errors.Is(err, ErrInvalidRequest)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.c.Assign(ctx(t), tt.assignee, tt.a); !tt.check(err) {
				t.Errorf("unexpected result %v", err)
			}
		})
	}
	want := []sandbox.Assignment{
		{AssigneeID: 1001, LearnerID: l, Level: 3, StandardID: 301},
		{AssigneeID: 1003, LearnerID: l, Level: 2, UnitID: "KS_PM1"},
		{AssigneeID: 1005, LearnerID: l, Level: 1},
	}
	if got := e.sb.Snapshot().Assignments; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("assignments %v, want %v", got, want)
	}
}

func TestAssignAfterUnknownOutcome(t *testing.T) {
	e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Drop: 0.5, Error500: 0.2, Seed: 11}}, Config{MaxRetries: 30})
	// Make the learners through the same faults, as the loader would:
	// after an unknown outcome, look the user up before trying again.
	var learners []int
	for i := range 16 {
		var res CreateResult
		var err error
		for {
			res, err = e.c.CreateUser(ctx(t), learner(fmt.Sprintf("AU-%d", i)))
			if !errors.Is(err, ErrOutcomeUnknown) {
				break
			}
			found, ferr := e.c.FindUsers(ctx(t), UserFilter{MISID: fmt.Sprintf("AU-%d", i)})
			if ferr != nil {
				t.Fatal(ferr)
			}
			if len(found) == 1 {
				res, err = CreateResult{ID: found[0].ID}, nil
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		learners = append(learners, res.ID)
	}
	byUs := 0
	for _, l := range learners {
		err := e.c.Assign(ctx(t), 1001, Assignment{LearnerID: l, Level: LevelAdditional})
		switch {
		case err == nil:
		case AssignedByUs(err):
			byUs++
		default:
			t.Errorf("learner %d: %v", l, err)
		}
	}
	snap := e.sb.Snapshot()
	if byUs == 0 || snap.Dropped == 0 {
		t.Errorf("no assignment was dropped and retried (dropped %d)", snap.Dropped)
	}
	per := map[int]int{}
	for _, a := range snap.Assignments {
		per[a.LearnerID]++
	}
	for _, l := range learners {
		if per[l] != 1 {
			t.Errorf("learner %d has %d assignments", l, per[l])
		}
	}
	if len(snap.Duplicates()) != 0 {
		t.Errorf("duplicate users: %v", snap.Duplicates())
	}
}

func TestSearchUsersPaging(t *testing.T) {
	for _, tt := range []struct {
		users, size, calls int
	}{
		{30, 7, 5},  // 7+7+7+7+2: the short page ends it
		{28, 7, 5},  // four full pages, then 204
		{0, 7, 1},   // 204 at once
		{5, 100, 1}, // one short page
	} {
		t.Run(fmt.Sprintf("%d users by %d", tt.users, tt.size), func(t *testing.T) {
			e := newEnv(t, sandbox.Config{}, Config{PageSize: tt.size})
			for i := range tt.users {
				u := learner(fmt.Sprintf("PG-%02d", i))
				u.LastName = "Pager"
				if _, err := e.c.CreateUser(ctx(t), u); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			pages := 0
			err := e.c.SearchUsers(ctx(t), UserFilter{LastName: "Pager"}, func(page []User) error {
				pages++
				for _, u := range page {
					got = append(got, u.MISID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.users {
				t.Errorf("%d users, want %d", len(got), tt.users)
			}
			for i, m := range got {
				if m != fmt.Sprintf("PG-%02d", i) {
					t.Fatalf("user %d is %s", i, m)
				}
			}
			if n := e.sb.Snapshot().Calls["POST /User/Search/{page}/{size}"]; n != tt.calls {
				t.Errorf("%d search calls, want %d", n, tt.calls)
			}
		})
	}
	t.Run("fn error stops", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{}, Config{PageSize: 2})
		stop := errors.New("stop")
		err := e.c.SearchUsers(ctx(t), UserFilter{}, func([]User) error { return stop })
		if err != stop || e.sb.Snapshot().Calls["POST /User/Search/{page}/{size}"] != 1 {
			t.Errorf("%v", err)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, Config{})
	for _, tt := range []struct {
		name string
		upd  UserUpdate
		want string // "" = ok
	}{
		{"default assessor and employer", UserUpdate{"DefaultAssessorID": 1002, "DefaultEmployerID": 1005}, ""},
		{"date", UserUpdate{"PlannedEndDate": NewDate(2027, time.July, 31)}, ""},
		{"bool", UserUpdate{"SupportFunding": true}, ""},
		{"nothing", UserUpdate{}, ""},
		{"unknown field", UserUpdate{"Surname": "x"}, `"Surname" is not a OneFile user field`},
		{"wrong type", UserUpdate{"ClassroomID": "101"}, "ClassroomID must be int, not string"},
		{"refused by OneFile", UserUpdate{"DefaultAssessorID": 1003}, "is not an assessor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := e.c.UpdateUser(ctx(t), 1010, tt.upd)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("%v, want %q", err, tt.want)
			}
		})
	}
	u, _ := e.c.GetUser(ctx(t), 1010)
	if u.DefaultAssessorID != 1002 || u.PlannedEndDate != NewDate(2027, time.July, 31) || u.SupportFunding == nil || !*u.SupportFunding {
		t.Errorf("after updates %+v", u)
	}
}

func TestCancellation(t *testing.T) {
	// Each case would wait a minute if cancellation were ignored; returning within a few
	// seconds proves it was not, with room for a loaded machine to schedule the wake-up.
	const prompt = 5 * time.Second
	t.Run("during pacing", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{}, Config{RatePerMinute: 1, Burst: 1})
		if _, err := e.c.Customer(ctx(t)); err != nil { // authentication took the one token
			if !strings.Contains(err.Error(), "context") {
				t.Log(err)
			}
		}
		cctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := e.c.Customer(cctx)
		if !errors.Is(err, context.Canceled) || time.Since(start) > prompt {
			t.Errorf("%v after %v", err, time.Since(start))
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Error500: 1, AllCalls: true}},
			Config{BackoffBase: time.Minute, BackoffMax: time.Minute})
		cctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := e.c.GetUser(cctx, 1)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > prompt {
			t.Errorf("%v after %v", err, time.Since(start))
		}
	})
	t.Run("create in flight", func(t *testing.T) {
		// The deadline must outlast writing the request on a loaded machine (a create
		// cancelled before it was sent is a known outcome; 100ms was tight under -race), and the
		// latency, which starts only once the sandbox has the request, outlasts the deadline.
		e := newEnv(t, sandbox.Config{Latency: time.Second}, Config{})
		if _, err := e.c.Customer(ctx(t)); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := e.c.CreateUser(cctx, learner("CX"))
		if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a create cancelled in flight: %v, want outcome unknown", err)
		}
	})
}

func TestBackoff(t *testing.T) {
	c, err := New(Config{BaseURL: "https://x.example", CustomerToken: "t", BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		var top time.Duration
		for range 200 {
			d := c.policy.Backoff(attempt)
			if d <= 0 || d > ceil {
				t.Fatalf("attempt %d: %v outside (0, %v]", attempt, d, ceil)
			}
			top = max(top, d)
		}
		if top < ceil/2 {
			t.Errorf("attempt %d: never above %v, not full jitter up to %v", attempt, top, ceil)
		}
	}
}
