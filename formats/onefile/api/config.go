package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Config sets up a Client. Only BaseURL and CustomerToken are required.
type Config struct {
	// BaseURL is the API root, e.g. https://wsapibeta.onefile.co.uk/api/v2.1.
	BaseURL string
	// AllowInsecureHTTP accepts a plain http:// BaseURL on a host that is
	// not this machine (the tokens then cross the network unencrypted; the
	// caller should warn). Loopback (a sandbox) needs no permission.
	AllowInsecureHTTP bool
	// CustomerToken is the secret OneFile support issues. It is only ever
	// sent in the X-CustomerToken header of POST /Authentication.
	CustomerToken string

	// RatePerMinute is the most calls this client makes per RateWindow,
	// all goroutines together; default 300 (OneFile's documented limit).
	// Negative: no pacing (429s are still retried).
	RatePerMinute int
	// RateWindow is the period RatePerMinute counts over; default one
	// minute. Tests shrink it together with the sandbox's RateWindow.
	RateWindow time.Duration
	// Headroom is the share of RatePerMinute left unused, so that timing
	// jitter never puts RatePerMinute+1 calls into one rolling window;
	// default 0.02 (pacing at 98%). Negative: none.
	Headroom float64
	// Burst is how many calls may go at once after a quiet spell; default 2.
	// Any window then holds at most Burst + (1-Headroom)*RatePerMinute
	// calls (296 of 300 by default), and a worker that wakes late does not
	// lose its turn for good.
	Burst int
	// FixedRate turns off slowing down after a 429.
	FixedRate bool

	// Timeout bounds each attempt (request and answer); default 30s.
	Timeout time.Duration
	// MaxRetries is how many times a failed call is tried again; default 6;
	// negative: never.
	MaxRetries int
	// AssignPath is whose ID goes in the path of POST /User/{id}/Assign:
	// AssignPathAssignee (default) or AssignPathLearner, as a target profile
	// written by bulk probe says.
	AssignPath string
	// Patience is how long the client goes on when OneFile answers every
	// call with 429 Too Many Requests: a 429 does not use up MaxRetries
	// while the throttling (no call of this client accepted) has lasted
	// less than Patience; the client waits as OneFile asks (Retry-After, or
	// backoff up to BackoffMax) and slows its pace. Default 10 minutes;
	// negative: none (a 429 counts as any retryable failure).
	Patience time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff with full
	// jitter: attempt n waits a random time in [0, min(Max, Base*2^n));
	// defaults 500ms and 30s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// SessionMaxAge is when the session is renewed before use; default 23h
	// (sessions last 24h).
	SessionMaxAge time.Duration

	// PageSize is the page size of the paged searches; default 100.
	PageSize int
	// Concurrency is how many goroutines will share the client; it sizes
	// the connection pool (default 8).
	Concurrency int
	// HTTPClient replaces the tuned default client (keep-alive, pool sized
	// by Concurrency). Its own Timeout should be 0: Timeout applies.
	HTTPClient *http.Client
	// Logger gets one Debug line per call and an Info line per retry, with
	// the endpoint, status and timing only: never headers or bodies.
	Logger *slog.Logger
	// OnRetry, if set, is called before each retry wait (for progress).
	OnRetry func(RetryEvent)
}

// DefaultPatience is Config.Patience unless set: a long spell of throttling
// (OneFile's limit is per minute, so ten minutes is many windows) is waited
// out rather than failing rows.
const DefaultPatience = 10 * time.Minute

// RetryEvent describes a retry about to happen.
type RetryEvent struct {
	Method  string
	Path    string
	Attempt int           // the attempt that failed, from 1
	Status  int           // its HTTP status, 0 for a network failure
	Err     error         // what failed (secrets removed)
	Wait    time.Duration // the wait before the next attempt
}

// String shows the configuration without the customer token.
func (c Config) String() string {
	tok := "unset"
	if c.CustomerToken != "" {
		tok = "[redacted]"
	}
	return fmt.Sprintf("api.Config{BaseURL: %q, CustomerToken: %s, RatePerMinute: %d, Timeout: %v, MaxRetries: %d}",
		c.BaseURL, tok, c.RatePerMinute, c.Timeout, c.MaxRetries)
}

// GoString redacts too (%#v).
func (c Config) GoString() string { return c.String() }

// LogValue keeps the token out of slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Config) withDefaults() Config {
	if c.RatePerMinute == 0 {
		c.RatePerMinute = 300
	}
	if c.RateWindow <= 0 {
		c.RateWindow = time.Minute
	}
	if c.Headroom == 0 {
		c.Headroom = 0.02
	} else if c.Headroom < 0 {
		c.Headroom = 0
	}
	if c.Burst <= 0 {
		c.Burst = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 6
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.Patience == 0 {
		c.Patience = DefaultPatience
	} else if c.Patience < 0 {
		c.Patience = 0
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 500 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 30 * time.Second
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = 23 * time.Hour
	}
	if c.PageSize <= 0 {
		c.PageSize = 100
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	return c
}
