package api

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/httpx"
)

// listenOn starts h on addr (a loopback address with port 0).
func listenOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Issue 16 item 8: a 307 to another address received the customer token
// and the session token. Two servers: OneFile (the sandbox) on 127.0.0.1,
// which redirects some paths to a stranger on 127.0.0.2.
func TestRedirectsCarryNoSecrets(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	stranger := listenOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.Write([]byte(`"stolen-session"`))
	}))
	sb := sandbox.New(sandbox.Config{CustomerToken: testToken})
	t.Cleanup(sb.Close)
	tests := []struct {
		name     string
		redirect string // the path the sandbox redirects
		to       func(r *http.Request) string
		call     func(c *Client) error
	}{
		{"authentication to another host", "/api/v2.1/Authentication",
			func(r *http.Request) string { return stranger.URL + r.URL.Path },
			func(c *Client) error { _, err := c.Customer(ctx(t)); return err }},
		{"an API call to another host", "/api/v2.1/Customer",
			func(r *http.Request) string { return stranger.URL + r.URL.Path },
			func(c *Client) error { _, err := c.Customer(ctx(t)); return err }},
		{"a create to another host", "/api/v2.1/User",
			func(r *http.Request) string { return stranger.URL + r.URL.Path },
			func(c *Client) error { _, err := c.CreateUser(ctx(t), learner("RD-1")); return err }},
		{"an API call to the same host", "/api/v2.1/Customer",
			func(r *http.Request) string { return "http://" + r.Host + "/api/v2.1/Customer/" },
			func(c *Client) error { _, err := c.Customer(ctx(t)); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var redirected int
			onefile := listenOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == tt.redirect {
					mu.Lock()
					redirected++
					mu.Unlock()
					http.Redirect(w, r, tt.to(r), http.StatusTemporaryRedirect)
					return
				}
				sb.ServeHTTP(w, r)
			}))
			c, err := New(Config{BaseURL: onefile.URL + "/api/v2.1", CustomerToken: testToken, RatePerMinute: -1, BackoffBase: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			mu.Lock()
			before := len(got)
			mu.Unlock()

			err = tt.call(c)

			mu.Lock()
			defer mu.Unlock()
			for _, h := range got[before:] {
				t.Errorf("the other host got a request with X-CustomerToken %q, X-TokenID %q", h.Get("X-CustomerToken"), h.Get("X-TokenID"))
			}
			if redirected != 1 {
				t.Errorf("the redirect was asked for %d times, want once (a redirect is OneFile's final word)", redirected)
			}
			var re *httpx.RedirectError
			if !errors.As(err, &re) || errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("error %v, want a refused redirect", err)
			}
			for _, want := range []string{"HTTP 307", "does not follow", "check the URL"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "stolen") {
				t.Errorf("message %q holds a secret", err)
			}
		})
	}
}

// A client given its own http.Client gets the same redirect policy.
func TestRedirectPolicyOnGivenClient(t *testing.T) {
	var hits int
	var mu sync.Mutex
	stranger := listenOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	onefile := listenOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, stranger.URL+r.URL.Path, http.StatusPermanentRedirect)
	}))
	given := &http.Client{}
	c, err := New(Config{BaseURL: onefile.URL, CustomerToken: testToken, RatePerMinute: -1, HTTPClient: given})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Customer(ctx(t)); !errors.Is(err, httpx.ErrRedirect) {
		t.Errorf("error %v, want a refused redirect", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 || given.CheckRedirect != nil {
		t.Errorf("the stranger got %d requests; the given client was changed: %v", hits, given.CheckRedirect != nil)
	}
}

// Issue 16 item 11: a certificate error fails at once, with a message that
// says what to check, instead of being retried 7 times.
func TestUntrustedCertificateFailsAtOnce(t *testing.T) {
	var mu sync.Mutex
	var hits int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var retries int
	c, err := New(Config{BaseURL: srv.URL + "/api/v2.1", CustomerToken: testToken, RatePerMinute: -1, BackoffBase: time.Millisecond,
		OnRetry: func(RetryEvent) { retries++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Customer(ctx(t))
	if httpx.TLSProblem(err) == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("error %v, want an untrusted certificate", err)
	}
	var gu *GaveUpError
	if errors.As(err, &gu) || retries != 0 || c.Stats().Calls != 1 || c.Stats().Retries != 0 {
		t.Errorf("retried: %d retries, stats %+v, error %v", retries, c.Stats(), err)
	}
	want := "cannot reach OneFile for POST /Authentication: the server's certificate is not trusted: x509: certificate signed by unknown authority; check the URL or your organisation's CA"
	if err.Error() != want {
		t.Errorf("message\n%q\nwant\n%q", err, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Errorf("%d requests reached the server", hits)
	}
}

// Issue 10 defect 10: "0 retries" was printed for a load with 15% injected
// 500s. Those 500s hit creates, which the client never retries itself (a
// create must not be sent twice); the loader sends the create again once a
// lookup proved the first made nothing, and that retry was counted nowhere.
// The client now counts a call sent again after a failure as a retry.
func TestRetriesCountedWhereTheyHappen(t *testing.T) {
	var mu sync.Mutex
	var ownRetries int
	e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Error500: 0.15, Seed: 3}},
		Config{OnRetry: func(RetryEvent) { mu.Lock(); ownRetries++; mu.Unlock() }})
	const n = 40
	resent := 0
	for i := range n {
		u := learner(fmt.Sprintf("RC-%d", i))
		for attempt := 1; ; attempt++ {
			if attempt > 10 {
				t.Fatalf("%s: not created after 10 attempts", u.MISID)
			}
			_, err := e.c.CreateUser(ctx(t), u)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrOutcomeUnknown) {
				t.Fatal(err)
			}
			// As the loader does: look before sending the create again.
			found, err := e.c.FindUsers(ctx(t), UserFilter{OrganisationID: 5740, MISID: u.MISID})
			if err != nil {
				t.Fatal(err)
			}
			if len(found) > 0 {
				break
			}
			resent++
		}
	}
	// Something that is not a resend of a failed call is not a retry.
	if _, err := e.c.FindUsers(ctx(t), UserFilter{OrganisationID: 5740, MISID: "RC-0"}); err != nil {
		t.Fatal(err)
	}
	snap, st := e.sb.Snapshot(), e.c.Stats()
	if snap.Faults500 == 0 || resent == 0 {
		t.Fatalf("the faults did not fire: %d 500s, %d creates sent again", snap.Faults500, resent)
	}
	if st.Retries == 0 || st.Retries != int64(resent+ownRetries) {
		t.Errorf("Stats().Retries = %d, want %d creates sent again + %d retries of the client's own", st.Retries, resent, ownRetries)
	}
	if st.ServerErrors != int64(snap.Faults500) {
		t.Errorf("client saw %d 500s, sandbox sent %d", st.ServerErrors, snap.Faults500)
	}
	if got := snap.Calls["POST /User"]; got != n+resent {
		t.Errorf("POST /User sent %d times, want %d", got, n+resent)
	}
	if len(snap.Duplicates()) != 0 {
		t.Errorf("duplicates: %v", snap.Duplicates())
	}
}

// A call refused for good (a 4xx) that the caller sends again is a new
// mistake, not a retry; neither is a call after a success.
func TestRefusalsAreNotRetries(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, Config{})
	for range 3 {
		if _, err := e.c.GetUser(ctx(t), 999999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetUser of no user: %v", err)
		}
		if _, err := e.c.GetUser(ctx(t), 1001); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.c.Stats(); st.Retries != 0 {
		t.Errorf("Retries = %d after refusals and successes only", st.Retries)
	}
}
