package api

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// TestSharedPacing: 6 workers share one limiter paced at the sandbox's
// limit (30 calls per 1s window, scaled down from 300/min), so the sandbox
// never sees more than its limit in a window and answers (almost) no 429.
func TestSharedPacing(t *testing.T) {
	const limit, calls = 30, 60
	window := time.Second
	e := newEnv(t, sandbox.Config{RateLimit: limit, RateWindow: window, Latency: 5 * time.Millisecond},
		Config{RatePerMinute: limit, RateWindow: window, MaxRetries: 10})
	var next atomic.Int64
	noErrors(t, parallel(6, func(int) error {
		for next.Add(1) <= calls {
			if _, err := e.c.GetUser(ctx(t), 1001); err != nil {
				return err
			}
		}
		return nil
	}))
	snap := e.sb.Snapshot()
	// The pacing bound is exact: 1+calls calls (with the authentication)
	// cannot span less than calls/(0.98*limit) windows.
	if span := snap.LastCall.Sub(snap.FirstCall); span < time.Duration(float64(calls)/(0.98*limit)*float64(window))-50*time.Millisecond {
		t.Errorf("%d calls in %v: faster than the pace", snap.Total, span)
	}
	// A paced client sees none on a quiet machine; allow a few for a loaded
	// one (unpaced, these workers draw dozens).
	if snap.TooMany() > calls/10 {
		t.Errorf("%d answers 429 out of %d calls", snap.TooMany(), snap.Total)
	}
	if got := snap.Statuses["GET /User/{id}"][200]; got != calls {
		t.Errorf("%d successful calls, want %d", got, calls)
	}
}

// TestSlowsDownAfter429: a client set to twice the sandbox's limit gets
// 429s, retries them all, and lowers its pace.
func TestSlowsDownAfter429(t *testing.T) {
	t.Parallel()
	window := 500 * time.Millisecond
	e := newEnv(t, sandbox.Config{RateLimit: 10, RateWindow: window},
		Config{RatePerMinute: 20, RateWindow: window, MaxRetries: 30, BackoffBase: 20 * time.Millisecond})
	full := e.c.Pace()
	noErrors(t, parallel(4, func(int) error {
		for range 10 {
			if _, err := e.c.Customer(ctx(t)); err != nil {
				return err
			}
		}
		return nil
	}))
	if e.c.Stats().TooMany == 0 {
		t.Fatal("no 429 at twice the limit")
	}
	if e.c.Pace() >= full {
		t.Errorf("pace %.1f per window after 429s, was %.1f", e.c.Pace(), full)
	}
	if got := e.sb.Snapshot().Statuses["GET /Customer"][200]; got != 40 {
		t.Errorf("%d calls succeeded, want 40", got)
	}
}

// TestHonoursRetryAfter: with Retry-After, every worker waits as told
// instead of hammering with its (here tiny) backoff.
func TestHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		retryAfter bool
		max429     int
	}{
		{true, 3},
		{false, 1 << 30}, // without the header the fast backoff hammers: no bound
	} {
		e := newEnv(t, sandbox.Config{RateLimit: 2, RateWindow: time.Second, RetryAfter: tt.retryAfter},
			Config{MaxRetries: 500, BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond})
		for range 5 {
			if _, err := e.c.Customer(ctx(t)); err != nil {
				t.Fatal(err)
			}
		}
		got := e.sb.Snapshot().TooMany()
		if got > tt.max429 {
			t.Errorf("Retry-After %v: %d answers 429", tt.retryAfter, got)
		}
		if !tt.retryAfter && got <= 3 {
			t.Errorf("without Retry-After only %d 429s: the test does not tell the two apart", got)
		}
	}
}

// TestPatience: a spell of 429s longer than MaxRetries attempts is waited
// out while it lasts less than the patience budget; past the budget the
// call fails with an error that says the budget was spent.
func TestPatience(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		throttle time.Duration
		patience time.Duration
		ok       bool
	}{
		{"spell shorter than patience", 600 * time.Millisecond, 5 * time.Second, true},
		{"spell longer than patience", 5 * time.Second, 400 * time.Millisecond, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// MaxRetries 2 with a 10ms backoff cap: without patience the
			// spell would fail the call within a few dozen milliseconds.
			e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Throttle: tt.throttle}},
				Config{MaxRetries: 2, BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Patience: tt.patience})
			// The spell starts with the first write: an update is one.
			start := time.Now()
			err := e.c.UpdateUser(ctx(t), 1010, UserUpdate{"MISID": "L-PATIENT"})
			took := time.Since(start)
			if tt.ok {
				if err != nil {
					t.Fatalf("throttled for %v with patience %v: %v", tt.throttle, tt.patience, err)
				}
				if took < tt.throttle {
					t.Errorf("succeeded after %v, inside the %v spell", took, tt.throttle)
				}
				if n := e.sb.Snapshot().Burst429; n <= 3 {
					t.Errorf("only %d answers 429: the spell did not outlast MaxRetries", n)
				}
				return
			}
			var gu *GaveUpError
			if !errors.As(err, &gu) || gu.Throttled < tt.patience {
				t.Fatalf("err = %v, want a GaveUpError for spent patience", err)
			}
			for _, want := range []string{"429", "patience budget of " + tt.patience.String(), "--patience"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if took > tt.patience+2*time.Second {
				t.Errorf("gave up after %v with patience %v", took, tt.patience)
			}
		})
	}
}

// TestNoPatience: Patience < 0 keeps the bounded attempts.
func TestNoPatience(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{Faults: sandbox.FaultSpec{Throttle: 5 * time.Second}},
		Config{MaxRetries: 2, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond, Patience: -1})
	err := e.c.UpdateUser(ctx(t), 1010, UserUpdate{"MISID": "L-PATIENT"})
	var gu *GaveUpError
	if !errors.As(err, &gu) || gu.Attempts != 3 || gu.Throttled != 0 {
		t.Fatalf("err = %v, want gave up after 3 attempts", err)
	}
}
