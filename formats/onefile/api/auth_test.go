package api

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// parallel runs fn in n goroutines at once and returns their errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuthOnceForManyWorkers(t *testing.T) {
	e := newEnv(t, sandbox.Config{Latency: 20 * time.Millisecond}, Config{})
	noErrors(t, parallel(16, func(int) error { _, err := e.c.GetUser(ctx(t), 1001); return err }))
	if n := e.sb.Snapshot().Calls["POST /Authentication"]; n != 1 {
		t.Errorf("%d authentications for 16 workers, want 1", n)
	}
	if st := e.c.Stats(); st.Authentications != 1 || st.Calls != 17 {
		t.Errorf("stats %+v", st)
	}
}

func TestReauthOnExpiry(t *testing.T) {
	t.Parallel()
	// The TTL leaves the renewed session time to serve 8 retries on a
	// loaded machine: a 401 right after a renewal is fatal by design. The
	// latency keeps the old session the current one until every worker has
	// sent with it: the first 401 and the renewal take two latencies, so a
	// worker scheduled late (easily 20ms on a loaded 2-core machine under
	// -race, the old 10ms latency) would take the new session and never see
	// a 401.
	const ttl = 2 * time.Second
	e := newEnv(t, sandbox.Config{SessionTTL: ttl, Latency: 150 * time.Millisecond}, Config{})
	if _, err := e.c.Customer(ctx(t)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + 100*time.Millisecond) // the session expires on the sandbox
	noErrors(t, parallel(8, func(int) error { _, err := e.c.GetUser(ctx(t), 1001); return err }))
	snap := e.sb.Snapshot()
	if n := snap.Calls["POST /Authentication"]; n != 2 {
		t.Errorf("%d authentications, want 2 (one renewal for 8 workers)", n)
	}
	if snap.Unauthorized != 8 || e.c.Stats().Unauthorized != 8 {
		t.Errorf("401s: sandbox %d, client %d; want 8", snap.Unauthorized, e.c.Stats().Unauthorized)
	}
	if snap.Statuses["GET /User/{id}"][200] != 8 {
		t.Errorf("statuses %v", snap.Statuses)
	}
}

func TestProactiveRefresh(t *testing.T) {
	t.Parallel()
	// The renewed session must stay fresh until all 8 workers have used it;
	// with 200ms a worker scheduled late on a loaded machine under -race
	// found it stale too and renewed a third time.
	const maxAge = 2 * time.Second
	e := newEnv(t, sandbox.Config{}, Config{SessionMaxAge: maxAge})
	if _, err := e.c.Customer(ctx(t)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(maxAge + 50*time.Millisecond)
	noErrors(t, parallel(8, func(int) error { _, err := e.c.Customer(ctx(t)); return err }))
	snap := e.sb.Snapshot()
	if snap.Calls["POST /Authentication"] != 2 || snap.Unauthorized != 0 {
		t.Errorf("authentications %d, 401s %d; want 2 and 0 (renewed before expiry)",
			snap.Calls["POST /Authentication"], snap.Unauthorized)
	}
}

func TestBadCustomerToken(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, Config{CustomerToken: "wrong-token-abc123"})
	errs := parallel(4, func(int) error { _, err := e.c.Customer(ctx(t)); return err })
	for _, err := range errs {
		var ae *AuthError
		if !errors.Is(err, ErrAuth) || !errors.As(err, &ae) || ae.Status != 401 {
			t.Fatalf("error %v, want ErrAuth", err)
		}
		if !strings.Contains(err.Error(), "OneFile refused the customer token (HTTP 401 from POST /Authentication)") ||
			!strings.Contains(err.Error(), "check the token was issued for this environment") {
			t.Errorf("message for people: %q", err)
		}
	}
	if n := e.sb.Snapshot().Calls["POST /Authentication"]; n < 1 || n > 4 {
		t.Errorf("%d authentications for 4 workers with a bad token", n)
	}
	if n := e.sb.Snapshot().Total; n != e.sb.Snapshot().Calls["POST /Authentication"] {
		t.Errorf("API calls made without a session: %d", n)
	}
}

func TestParseSession(t *testing.T) {
	for in, want := range map[string]string{
		"abc123":                "abc123",
		" abc123\r\n":           "abc123",
		`"abc123"`:              "abc123",
		`"abc\/123"`:            "abc/123",
		"'abc123'":              "abc123",
		"":                      "",
		`  "  abc123 " ` + "\n": "abc123",
	} {
		if got := parseSession([]byte(in)); got != want {
			t.Errorf("parseSession(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSecretsNeverShown drives the client through authentication, session
// renewal, refusals, retries, unknown outcomes and a keychain-off create,
// then looks for the customer token, any session token and the returned
// password in every error text, the log and the String forms.
func TestSecretsNeverShown(t *testing.T) {
	e := newEnv(t, sandbox.Config{SessionTTL: 600 * time.Millisecond, Faults: sandbox.FaultSpec{Error500: 0.3, Seed: 2, AllCalls: true}},
		Config{MaxRetries: 20})
	var texts []string
	keep := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
		}
	}
	res, err := e.c.CreateUser(ctx(t), learner("SEC-1"))
	if errors.Is(err, ErrOutcomeUnknown) {
		keep(err)
		res, err = e.c.CreateUser(ctx(t), learner("SEC-1b"))
	}
	keep(err)
	if res.Password.Reveal() == "" && err == nil {
		t.Fatal("no password returned")
	}
	_, err = e.c.GetUser(ctx(t), 99999)
	keep(err)
	time.Sleep(650 * time.Millisecond) // the session expires: renewal
	keep(e.c.UpdateUser(ctx(t), 1010, UserUpdate{"DefaultAssessorID": 1003}))
	_, err = e.c.CreateUser(ctx(t), learner("SEC-2"))
	keep(err)

	bad := newEnv(t, sandbox.Config{}, Config{CustomerToken: "wrong-" + testToken})
	_, err = bad.c.Customer(ctx(t))
	keep(err)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("bad token: %v", err)
	}

	var logBuf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logBuf, nil))
	cfg := Config{BaseURL: e.url, CustomerToken: testToken}
	l.Info("config", "cfg", cfg, "result", res, "password", res.Password)
	texts = append(texts, logBuf.String(), e.log.String(), bad.log.String(),
		fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, res.Password, res.Password, res.Password),
		fmt.Sprintf("%v %+v %#v", res, res, res), e.c.String(), fmt.Sprintf("%#v", e.c))

	e.mu.Lock()
	secrets := append([]string{testToken}, e.sessions...)
	e.mu.Unlock()
	if len(secrets) < 3 {
		t.Fatalf("only %d sessions issued; the renewal did not happen", len(secrets)-1)
	}
	if res.Password != "" {
		secrets = append(secrets, res.Password.Reveal())
	}
	all := strings.Join(texts, "\n")
	if !strings.Contains(e.log.String(), "onefile call") {
		t.Fatalf("the client logged nothing; the check would be empty")
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %.4s... appears in output", s)
		}
	}
	if !strings.Contains(all, "[redacted]") {
		t.Errorf("no redaction seen")
	}
}
