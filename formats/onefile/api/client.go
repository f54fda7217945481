package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Client talks to one OneFile API root with one customer token. It is safe
// for concurrent use; share one per load so that pacing and the session are
// shared.
type Client struct {
	cfg    Config
	base   string
	hc     *http.Client
	log    *slog.Logger
	pacer  *pacer
	stats  counters
	bg     context.Context // lives until Close; runs the shared authentication
	cancel context.CancelFunc

	mu      sync.Mutex
	session string
	issued  time.Time
	gen     uint64   // bumped by every new session
	secrets []string // customer token and sessions issued, scrubbed from errors
	authSF  singleflight.Group
}

// New checks cfg and makes a client. It makes no call: authentication
// happens on the first call.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OneFile API root %q is not an http(s) URL such as https://wsapibeta.onefile.co.uk/api/v2.1", cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.CustomerToken) == "" {
		return nil, fmt.Errorf("%w: no OneFile customer token was given", ErrAuth)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: newTransport(cfg.Concurrency)}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bg, cancel := context.WithCancel(context.Background())
	return &Client{
		cfg:     cfg,
		base:    u.String(),
		hc:      hc,
		log:     log,
		pacer:   newPacer(cfg),
		bg:      bg,
		cancel:  cancel,
		secrets: []string{strings.TrimSpace(cfg.CustomerToken)},
	}, nil
}

// newTransport is a keep-alive transport whose idle pool holds a connection
// for every worker, so that workers do not open and close connections.
func newTransport(concurrency int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * concurrency,
		MaxIdleConnsPerHost:   2 * concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Close stops a shared authentication in flight and closes idle
// connections. The client must not be used afterwards.
func (c *Client) Close() {
	c.cancel()
	c.hc.CloseIdleConnections()
}

// String names the API root; never the token or the session.
func (c *Client) String() string { return "OneFile API client for " + c.base }

// GoString redacts too.
func (c *Client) GoString() string { return c.String() }

// BaseURL is the API root the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Pace is the current pacing in calls per RateWindow (lower than
// RatePerMinute after 429s), or 0 when unpaced.
func (c *Client) Pace() float64 { return c.pacer.limit() * c.cfg.RateWindow.Seconds() }

// PageSize is the page size of the paged searches.
func (c *Client) PageSize() int { return c.cfg.PageSize }

// ---- the call loop ----

// retryKind says what may be retried once a request may have reached
// OneFile.
type retryKind int

const (
	// idempotent: reads and partial updates; retry anything retryable.
	idempotent retryKind = iota
	// neverTwice: creates; once sent, never retried (OutcomeUnknownError).
	neverTwice
	// deduplicated: assignments; retried, OneFile refuses a repeat.
	deduplicated
)

type request struct {
	method string
	path   string // below the API root
	body   any    // JSON-encoded; nil: no body
	kind   retryKind
	auth   bool // the POST /Authentication call itself
}

type answer struct {
	status int
	body   []byte
	hdr    http.Header
}

// call runs one API call through session, pacing, retries and error
// classification. A 2xx answer comes back; anything else is an error.
func (c *Client) call(ctx context.Context, r request) (*answer, error) {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("%w: %s %s: %v", ErrInvalidRequest, r.method, r.path, err)
		}
	}
	var (
		unknown  bool  // an earlier attempt may have taken effect
		renewed  bool  // a new session was fetched after a 401 in this call
		lastErr  error // the last retryable failure
		attempts int
	)
	for {
		if err := ctx.Err(); err != nil {
			return nil, c.stopped(r, err, unknown)
		}
		var tok string
		var gen uint64
		if !r.auth {
			var err error
			if tok, gen, err = c.currentSession(ctx); err != nil {
				return nil, err
			}
		}
		if err := c.pacer.wait(ctx); err != nil {
			return nil, c.stopped(r, err, unknown)
		}
		attempts++
		ans, sent, err := c.attempt(ctx, r, payload, tok)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil { // the caller gave up (Ctrl-C), not OneFile
				return nil, c.stopped(r, ctx.Err(), unknown || sent)
			}
			c.stats.networkErrors.Add(1)
			if sent {
				if r.kind == neverTwice {
					return nil, &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: err}
				}
				unknown = true
			}
			lastErr = err

		case ans.status == http.StatusUnauthorized && !r.auth:
			c.stats.unauthorized.Add(1)
			if renewed {
				return nil, &AuthError{Status: ans.status, Message: c.scrub(messageOf(ans.body)), Renewed: true}
			}
			// The session expired or was revoked: renew it once for all
			// goroutines and try again (a 401 is refused before any change).
			if _, _, err := c.renewSession(ctx, gen); err != nil {
				return nil, err
			}
			renewed = true
			attempts-- // not a failure of the call itself
			continue

		case ans.status >= 200 && ans.status < 300:
			c.pacer.success()
			return ans, nil

		default:
			apiErr := c.apiError(r, ans, unknown)
			switch {
			case ans.status == http.StatusTooManyRequests:
				// Refused before any change: always safe to retry.
				c.stats.tooMany.Add(1)
				c.pacer.tooMany()
				if ra, ok := retryAfter(ans.hdr, time.Now()); ok {
					c.pacer.pause(time.Now().Add(ra))
					wait = ra
				}
			case ans.status >= 500:
				c.stats.serverErrors.Add(1)
				if r.kind == neverTwice {
					return nil, &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: apiErr}
				}
				unknown = true
			default: // other 4xx: OneFile's final word
				if r.auth && (ans.status == http.StatusUnauthorized || ans.status == http.StatusForbidden) {
					return nil, &AuthError{Status: ans.status, Message: apiErr.Message}
				}
				return nil, apiErr
			}
			lastErr = apiErr
		}

		if attempts > c.cfg.MaxRetries {
			if unknown {
				return nil, &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: &GaveUpError{Attempts: attempts, Last: lastErr}}
			}
			return nil, &GaveUpError{Attempts: attempts, Last: lastErr}
		}
		wait = max(wait, c.backoff(attempts))
		status := 0
		if ans != nil {
			status = ans.status
		}
		c.stats.retries.Add(1)
		c.log.Info("onefile retry", "method", r.method, "path", r.path, "attempt", attempts, "status", status, "wait", wait, "error", lastErr.Error())
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(RetryEvent{Method: r.method, Path: r.path, Attempt: attempts, Status: status, Err: lastErr, Wait: wait})
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, c.stopped(r, err, unknown)
		}
	}
}

// stopped is the error for a call the caller cancelled.
func (c *Client) stopped(r request, err error, unknown bool) error {
	if unknown && r.kind != idempotent {
		return &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: err}
	}
	return err
}

// backoff is exponential with full jitter: a random wait in
// [0, min(BackoffMax, BackoffBase*2^(attempt-1))).
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.cfg.BackoffBase << min(attempt-1, 20)
	if ceil <= 0 || ceil > c.cfg.BackoffMax {
		ceil = c.cfg.BackoffMax
	}
	return rand.N(ceil) + 1
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// attempt makes one HTTP exchange. sent says whether the whole request was
// written to the connection (so OneFile may have acted on it); a request
// that failed before that point cannot have been acted on.
func (c *Client) attempt(ctx context.Context, r request, payload []byte, session string) (*answer, bool, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var written atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				written.Store(true)
			}
		},
	})
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, c.base+r.path, body)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// Never set an Idempotency-Key header: Go's transport would then replay
	// a POST by itself after a dropped connection.
	if r.auth {
		req.Header.Set("X-CustomerToken", strings.TrimSpace(c.cfg.CustomerToken))
	} else {
		req.Header.Set("X-TokenID", session)
	}
	start := time.Now()
	c.stats.calls.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.Debug("onefile call", "method", r.method, "path", r.path, "error", "no answer", "elapsed", time.Since(start))
		return nil, written.Load(), c.netError(r, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, true, c.netError(r, actx, err)
	}
	c.log.Debug("onefile call", "method", r.method, "path", r.path, "status", resp.StatusCode, "elapsed", time.Since(start))
	return &answer{status: resp.StatusCode, body: data, hdr: resp.Header}, true, nil
}

func (c *Client) netError(r request, actx context.Context, err error) error {
	timeout := errors.Is(actx.Err(), context.DeadlineExceeded)
	// The URL holds no secret, but scrub anyway: errors end up in reports.
	return &NetworkError{Method: r.method, Path: r.path, Timeout: timeout, Err: errors.New(c.scrub(err.Error()))}
}

func (c *Client) apiError(r request, ans *answer, priorUnknown bool) *APIError {
	return &APIError{
		Method: r.method, Path: r.path, Status: ans.status,
		Message:      c.scrub(messageOf(ans.body)),
		Body:         truncate(c.scrub(string(ans.body)), maxBodyInError),
		PriorUnknown: priorUnknown,
	}
}

// scrub removes the customer token and every session from text that may
// reach an error, a log or a report.
func (c *Client) scrub(s string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sec := range c.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// ---- session ----

// currentSession gives the session to use, authenticating first if there
// is none or it is older than SessionMaxAge.
func (c *Client) currentSession(ctx context.Context) (string, uint64, error) {
	c.mu.Lock()
	tok, gen, fresh := c.session, c.gen, time.Since(c.issued) < c.cfg.SessionMaxAge
	c.mu.Unlock()
	if tok != "" && fresh {
		return tok, gen, nil
	}
	return c.renewSession(ctx, gen)
}

// renewSession replaces the session of generation stale. Goroutines that
// arrive together share one authentication (singleflight); one that arrives
// after another has already renewed uses the new session without a call.
func (c *Client) renewSession(ctx context.Context, stale uint64) (string, uint64, error) {
	c.mu.Lock()
	if c.gen > stale && c.session != "" && time.Since(c.issued) < c.cfg.SessionMaxAge {
		tok, gen := c.session, c.gen
		c.mu.Unlock()
		return tok, gen, nil
	}
	c.mu.Unlock()
	ch := c.authSF.DoChan("auth", func() (any, error) {
		c.mu.Lock()
		if c.gen > stale && c.session != "" && time.Since(c.issued) < c.cfg.SessionMaxAge {
			c.mu.Unlock()
			return nil, nil
		}
		c.mu.Unlock()
		// The shared authentication runs on the client's context, not on
		// one caller's: a caller that gives up does not fail the others.
		tok, err := c.authenticate(c.bg)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.session, c.issued = tok, time.Now()
		c.gen++
		c.secrets = append(c.secrets, tok)
		if len(c.secrets) > 16 { // keep the customer token and recent sessions
			c.secrets = append(c.secrets[:1], c.secrets[len(c.secrets)-15:]...)
		}
		c.mu.Unlock()
		return nil, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return "", 0, res.Err
		}
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session, c.gen, nil
}

// authenticate is POST /Authentication: the session token is the raw body.
func (c *Client) authenticate(ctx context.Context) (string, error) {
	c.stats.authentications.Add(1)
	ans, err := c.call(ctx, request{method: http.MethodPost, path: "/Authentication", auth: true})
	if err != nil {
		return "", err
	}
	tok := parseSession(ans.body)
	if tok == "" {
		return "", &AuthError{Status: ans.status, Message: "the answer carried no session token"}
	}
	return tok, nil
}

// parseSession trims whitespace and quotes around the session token (public
// clients have seen it both bare and as a JSON string).
func parseSession(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		var v string
		if json.Unmarshal([]byte(s), &v) == nil {
			s = v
		}
	}
	return strings.Trim(strings.TrimSpace(s), `"'`)
}
