package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

const testToken = "cust-TOKEN-7f3a9c1e5b"

// env is a sandbox on loopback and a client for it.
type env struct {
	t   *testing.T
	sb  *sandbox.Server
	url string
	c   *Client
	log *bytes.Buffer

	mu       sync.Mutex
	sessions []string // every session token the sandbox issued
}

// newEnv starts a sandbox with scfg and a client with ccfg (BaseURL and
// CustomerToken filled in; fast backoff unless set). The client logs at
// Debug level into e.log.
func newEnv(t *testing.T, scfg sandbox.Config, ccfg Config) *env {
	t.Helper()
	scfg.CustomerToken = testToken
	e := &env{t: t, sb: sandbox.New(scfg), log: &bytes.Buffer{}}
	// Record the sessions the sandbox hands out, for the secrets checks.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2.1/Authentication" {
			e.sb.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sb.ServeHTTP(rec, r)
		if rec.Code == 200 {
			e.mu.Lock()
			e.sessions = append(e.sessions, rec.Body.String())
			e.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(func() { e.sb.Close(); ts.Close() })
	e.url = ts.URL + "/api/v2.1"
	ccfg.BaseURL = e.url
	if ccfg.CustomerToken == "" {
		ccfg.CustomerToken = testToken
	}
	if ccfg.BackoffBase == 0 {
		ccfg.BackoffBase = 2 * time.Millisecond
	}
	if ccfg.BackoffMax == 0 {
		ccfg.BackoffMax = 50 * time.Millisecond
	}
	if ccfg.RatePerMinute == 0 {
		ccfg.RatePerMinute = -1 // unpaced unless a test is about pacing
	}
	var mu sync.Mutex
	ccfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, e.log}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e.c = c
	return e
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// learner is a valid learner for the default seed.
func learner(misid string) UserFields {
	return UserFields{OrganisationID: 5740, Role: RoleLearner, FirstName: "Ada", LastName: "Lovelace",
		Email: misid + "@learner.example", MISID: misid, DefaultAssessorID: 1001, ClassroomID: 101, PlacementID: 202}
}

// usersWithMISID counts the sandbox's users with a MISID.
func (e *env) usersWithMISID(misid string) int {
	n := 0
	for _, u := range e.sb.Snapshot().Users {
		if u.MISID == misid {
			n++
		}
	}
	return n
}
