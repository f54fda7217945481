package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFaultSpec(t *testing.T) {
	for _, tt := range []struct {
		in, canon, err string
		want           FaultSpec
	}{
		{in: "", canon: "none"},
		{in: "none", canon: "none"},
		{in: "latency=30ms,error500=0.1,drop=10%", canon: "latency=30ms,error500=0.1,drop=0.1",
			want: FaultSpec{Latency: 30 * time.Millisecond, Error500: 0.1, Drop: 0.1}},
		{in: " burst429=0.01 , burstlen=20, scope=all, seed=7, jitter=5ms, stall=0.02 ",
			canon: "jitter=5ms,stall=0.02,burst429=0.01,burstlen=20,scope=all,seed=7",
			want:  FaultSpec{Jitter: 5 * time.Millisecond, Stall: 0.02, Burst429: 0.01, BurstLen: 20, AllCalls: true, Seed: 7}},
		{in: "scope=writes,drop=1", canon: "drop=1", want: FaultSpec{Drop: 1}},
		{in: "drop", err: "is not key=value"},
		{in: "drop=2", err: "between 0 and 1"},
		{in: "drop=-1%", err: "between 0 and 1"},
		{in: "drop=lots", err: "not a share"},
		{in: "latency=30", err: "not a duration"},
		{in: "burstlen=0", err: "at least 1"},
		{in: "scope=some", err: "writes or all"},
		{in: "explode=1", err: `unknown key "explode"`},
		{in: "error500=0.6,drop=0.6", err: "more than 1"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFaultSpec(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.String() != tt.canon {
				t.Errorf("String() = %q, want %q", got.String(), tt.canon)
			}
			again, err := ParseFaultSpec(got.String())
			if err != nil || again != got {
				t.Errorf("round trip: %+v %v", again, err)
			}
			var f FaultSpec
			if err := f.Set(tt.in); err != nil || f != got {
				t.Errorf("Set: %+v %v", f, err)
			}
		})
	}
}

// users counts the users the sandbox holds.
func users(s *Server) int { return len(s.Snapshot().Users) }

func TestFaultError500(t *testing.T) {
	c := startSandbox(t, Config{Faults: FaultSpec{Error500: 1}}).login()
	before := users(c.srv)
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/User", learner("F-1")},
		{"POST", "/User/1010", obj{"MISID": "changed"}},
		{"POST", "/User/1001/Assign", obj{"LearnerID": 1010, "Level": 1}},
	} {
		if r := c.call(call.method, call.path, call.body); r.status != 500 {
			t.Errorf("%s %s: %d, want 500", call.method, call.path, r.status)
		}
	}
	snap := c.srv.Snapshot()
	if len(snap.Users) != before || len(snap.Assignments) != 0 || snap.Users[5].MISID != "L-0001" {
		t.Errorf("a 500 before the change changed something: %d users, %d assignments, MISID %s",
			len(snap.Users), len(snap.Assignments), snap.Users[5].MISID)
	}
	if snap.Faults500 != 3 {
		t.Errorf("Faults500 = %d", snap.Faults500)
	}
	// Reads are spared unless scope=all.
	if r := c.call("GET", "/User/1001", nil); r.status != 200 {
		t.Errorf("read with scope=writes: %d", r.status)
	}
	if r := c.call("POST", "/User/Search", obj{"MISID": "STF-001"}); r.status != 200 {
		t.Errorf("search with scope=writes: %d", r.status)
	}

	all := startSandbox(t, Config{Faults: FaultSpec{Error500: 1, AllCalls: true}})
	if r := all.call("POST", "/Authentication", nil); r.status != 500 {
		t.Errorf("authentication with scope=all: %d, want 500", r.status)
	}
}

func TestFaultDrop(t *testing.T) {
	c := startSandbox(t, Config{Faults: FaultSpec{Drop: 1}}).login()
	before := users(c.srv)
	_, err := c.try("POST", "/User", learner("D-1"))
	if err == nil {
		t.Fatal("a dropped create answered")
	}
	snap := c.srv.Snapshot()
	if len(snap.Users) != before+1 || snap.Users[len(snap.Users)-1].MISID != "D-1" {
		t.Errorf("the dropped create was not committed: %d users", len(snap.Users))
	}
	if snap.Dropped != 1 || snap.Statuses["POST /User"][statusDropped] != 1 {
		t.Errorf("dropped %d, statuses %v", snap.Dropped, snap.Statuses)
	}
	// A dropped assignment is committed too.
	if _, err := c.try("POST", "/User/1001/Assign", obj{"LearnerID": 1010, "Level": 1}); err == nil {
		t.Fatal("a dropped assignment answered")
	}
	if got := len(c.srv.Snapshot().Assignments); got != 1 {
		t.Errorf("%d assignments after a dropped one, want 1", got)
	}
}

func TestFaultStall(t *testing.T) {
	c := startSandbox(t, Config{Faults: FaultSpec{Stall: 1}}).login()
	// The timeout must outlast sending the request on a loaded machine, or the sandbox never
	// sees the create it is meant to stall.
	const timeout = 2 * time.Second
	c.hc = &http.Client{Timeout: timeout}
	start := time.Now()
	_, err := c.try("POST", "/User", learner("S-1"))
	if err == nil {
		t.Fatal("a stalled create answered")
	}
	if time.Since(start) < timeout {
		t.Errorf("the stall ended before the client's timeout: %v", err)
	}
	snap := c.srv.Snapshot()
	if snap.Stalled != 1 || snap.Users[len(snap.Users)-1].MISID != "S-1" {
		t.Errorf("stalled %d, last user %+v", snap.Stalled, snap.Users[len(snap.Users)-1])
	}
}

func TestFaultBurst429(t *testing.T) {
	c := startSandbox(t, Config{Faults: FaultSpec{Burst429: 0.03, BurstLen: 4, Seed: 3}}).login()
	var seq strings.Builder
	for range 400 {
		r := c.call("GET", "/Customer", nil)
		seq.WriteString(map[int]string{200: ".", 429: "x"}[r.status])
	}
	s := seq.String()
	if !strings.Contains(s, "xxxx") {
		t.Fatalf("no burst of 4 in %s", s)
	}
	runs := strings.FieldsFunc(s, func(r rune) bool { return r == '.' })
	for i, run := range runs {
		last := i == len(runs)-1 && strings.HasSuffix(s, "x")
		if len(run)%4 != 0 && !last {
			t.Errorf("a 429 run of %d in %s", len(run), s)
		}
	}
	snap := c.srv.Snapshot()
	if snap.Burst429 != strings.Count(s, "x") || snap.TooMany() != snap.Burst429 {
		t.Errorf("Burst429 = %d, seen %d", snap.Burst429, strings.Count(s, "x"))
	}
}

func TestFaultLatency(t *testing.T) {
	c := startSandbox(t, Config{Latency: 20 * time.Millisecond, Faults: FaultSpec{Latency: 40 * time.Millisecond}}).login()
	start := time.Now()
	c.call("GET", "/Customer", nil)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("call took %v, want at least 20ms+40ms", d)
	}
	// A client that gives up during the delay is recorded, not served. The client gives up once
	// the sandbox holds its request, and the delay outlasts any scheduling hiccup: a fixed client
	// timeout raced the request on a loaded machine (it could fire before the request arrived,
	// and the sandbox then saw no call at all).
	s := New(Config{CustomerToken: "test-customer-token", Latency: time.Minute})
	arrived := make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { s.Close(); ts.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/v2.1/Customer", nil)
	req.Header.Set("X-TokenID", c.token)
	if _, err := ts.Client().Do(req); err == nil {
		t.Fatal("the client that gave up got an answer")
	}
	// The sandbox notices the closed connection asynchronously; the deadline only bounds a
	// failing run (a passing one leaves the loop as soon as the count is 1).
	deadline := time.Now().Add(10 * time.Second)
	for s.Snapshot().Statuses["GET /Customer"][statusGone] != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.Snapshot().Statuses["GET /Customer"][statusGone]; got != 1 {
		t.Errorf("gone clients %d, want 1", got)
	}
	if got := s.Snapshot().Total; got != 1 {
		t.Errorf("%d calls recorded, want the 1 that went away", got)
	}
}

// outcomes creates the same 60 learners and says what happened to each.
func outcomes(t *testing.T, seed int64, workers int) map[string]string {
	t.Helper()
	c := startSandbox(t, Config{Faults: FaultSpec{Error500: 0.2, Drop: 0.2, Seed: seed}}).login()
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	jobs := make(chan string)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for misid := range jobs {
				var res []string
				// Each learner is tried twice, so a retry's draw counts too.
				for range 2 {
					if r, err := c.try("POST", "/User", learner(misid)); err == nil {
						res = append(res, fmt.Sprint(r.status))
					} else {
						res = append(res, "drop")
					}
				}
				mu.Lock()
				out[misid] = strings.Join(res, "+")
				mu.Unlock()
			}
		}()
	}
	for i := range 60 {
		jobs <- fmt.Sprintf("R-%02d", i)
	}
	close(jobs)
	wg.Wait()
	return out
}

func TestFaultsRepeatable(t *testing.T) {
	seq := outcomes(t, 42, 1)
	conc := outcomes(t, 42, 6)
	if fmt.Sprint(seq) != fmt.Sprint(conc) {
		t.Errorf("same seed, different outcomes:\n%v\n%v", seq, conc)
	}
	kinds := map[string]bool{}
	for _, o := range seq {
		kinds[o] = true
	}
	if len(kinds) < 3 {
		t.Errorf("20%% 500s and 20%% drops over 120 calls gave only %v", kinds)
	}
	if other := outcomes(t, 43, 1); fmt.Sprint(other) == fmt.Sprint(seq) {
		t.Errorf("another seed gave the same outcomes")
	}
}
