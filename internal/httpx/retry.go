// Package httpx is what bulk's HTTP clients (OneFile, PeopleFluent) share
// about calling a server that may fail: how long to wait before trying again
// (exponential backoff with jitter, Retry-After), whether a failed attempt
// may have been acted on ("was the request sent"), which failures must never
// be retried (an untrusted certificate), and a redirect policy that never
// carries credentials to another server.
//
// Each client keeps its own loop and its own Policy: what may be retried
// depends on the request (a create must not be sent twice once it may have
// arrived; a read may), and that knowledge belongs to the client. The
// pieces here make the loop's decisions the same in both.
package httpx

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Jitter is how a backoff wait is randomised, so that many workers (or
// several bulk runs) that failed together do not retry in step.
type Jitter int

const (
	// FullJitter waits a random time in (0, ceiling]: the best spread, some
	// retries come almost at once.
	FullJitter Jitter = iota
	// EqualJitter waits half the ceiling plus a random share of the other
	// half: never much less than the ceiling, for servers that need a rest.
	EqualJitter
)

// Policy is one client's retry policy. The zero value makes one attempt.
type Policy struct {
	// MaxAttempts is how many attempts a call gets in all, the first
	// included; less than 1 means 1 (no retry).
	MaxAttempts int
	// Base is the ceiling of the wait before the first retry; it doubles
	// with every further retry up to Cap. Base 0 means no wait.
	Base time.Duration
	// Cap bounds every backoff wait; 0 means no bound.
	Cap time.Duration
	// Jitter picks how the wait is drawn below its ceiling.
	Jitter Jitter
	// MaxRetryAfter is the longest Retry-After the client will honour; a
	// longer one means "not today" (see TooLong). 0: no limit.
	MaxRetryAfter time.Duration
}

// Attempts is MaxAttempts, at least 1.
func (p Policy) Attempts() int { return max(p.MaxAttempts, 1) }

// More reports whether another attempt may follow the given number of
// attempts made.
func (p Policy) More(made int) bool { return made < p.Attempts() }

// ceiling is Base*2^(retry-1), capped at Cap, and never overflowing.
func (p Policy) ceiling(retry int) time.Duration {
	d := p.Base
	if d <= 0 {
		return 0
	}
	for i := 1; i < retry && d <= math.MaxInt64/2; i++ {
		if p.Cap > 0 && d >= p.Cap {
			break
		}
		d *= 2
	}
	if p.Cap > 0 && d > p.Cap {
		d = p.Cap
	}
	return d
}

// Backoff is the wait before retry number retry (1 for the first retry):
// exponential from Base, capped at Cap, with the policy's jitter.
func (p Policy) Backoff(retry int) time.Duration {
	c := p.ceiling(retry)
	if c <= 0 {
		return 0
	}
	if p.Jitter == EqualJitter {
		return c/2 + rand.N(c-c/2+1)
	}
	return rand.N(c) + 1
}

// Delay is the wait before retry number retry when the server asked for
// retryAfter (0 when it did not): the longer of the two, so that a server's
// "now" never makes a client hammer it, and its "later" is always honoured.
func (p Policy) Delay(retry int, retryAfter time.Duration) time.Duration {
	return max(retryAfter, p.Backoff(retry))
}

// TooLong reports a Retry-After longer than the client waits.
func (p Policy) TooLong(retryAfter time.Duration) bool {
	return p.MaxRetryAfter > 0 && retryAfter > p.MaxRetryAfter
}

// RetryAfter reads a Retry-After header value (h.Get("Retry-After")): either
// delta-seconds or an HTTP date, which counts from now. ok is false for an
// absent or unreadable value; a date in the past is a wait of 0.
func RetryAfter(value string, now time.Time) (wait time.Duration, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		// Bound the seconds so that a hostile header cannot overflow.
		const most = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(n, most)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Sleep waits d, or until ctx ends (then it returns ctx's error at once).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
