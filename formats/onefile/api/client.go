package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/bulkload/bulk/internal/httpx"
	"github.com/bulkload/bulk/internal/target"
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
	policy httpx.Policy
	stats  counters
	bg     context.Context // lives until Close; runs the shared authentication
	cancel context.CancelFunc

	mu      sync.Mutex
	session string
	issued  time.Time
	gen     uint64   // bumped by every new session
	secrets []string // customer token and sessions issued, scrubbed from errors
	authSF  singleflight.Group

	// unsettled holds the fingerprints of calls that failed in a way the
	// caller may answer by sending the same call again (the loader retries
	// a create after a lookup proved it was not made): such a resend is
	// counted as a retry. Bounded by maxUnsettled.
	unsettledMu sync.Mutex
	unsettled   map[[sha256.Size]byte]struct{}

	// throttledSince is when OneFile began answering this client's calls
	// with 429 and none since was accepted (unix nanoseconds; 0: not
	// throttled). Client-wide: one worker's success ends the spell for all.
	throttledSince atomic.Int64

	rateMu  sync.Mutex
	rateHdr map[string]string // rate-limit headers seen (RateLimitHeaders)
}

// maxUnsettled bounds the fingerprints kept; past it they are forgotten
// (only the count of retries can suffer).
const maxUnsettled = 4096

// New checks cfg and makes a client. It makes no call: authentication
// happens on the first call.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	var opts []target.Option
	if cfg.AllowInsecureHTTP {
		opts = append(opts, target.AllowInsecureHTTP)
	}
	root, err := target.Canonical(cfg.BaseURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("OneFile API root: %w", err)
	}
	if strings.TrimSpace(cfg.CustomerToken) == "" {
		return nil, fmt.Errorf("%w: no OneFile customer token was given", ErrAuth)
	}
	// OneFile never redirects: follow none, so that neither token is ever
	// sent anywhere but the API root (Go's client would carry the
	// X-CustomerToken and X-TokenID headers to any host a 3xx names).
	var hc *http.Client
	if cfg.HTTPClient != nil {
		hc = httpx.WithRedirects(cfg.HTTPClient, httpx.NoRedirects)
	} else {
		hc = &http.Client{Transport: newTransport(cfg.Concurrency), CheckRedirect: httpx.NoRedirects}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bg, cancel := context.WithCancel(context.Background())
	return &Client{
		cfg:       cfg,
		base:      root.String(),
		hc:        hc,
		log:       log,
		pacer:     newPacer(cfg),
		policy:    httpx.Policy{MaxAttempts: cfg.MaxRetries + 1, Base: cfg.BackoffBase, Cap: cfg.BackoffMax, Jitter: httpx.FullJitter},
		bg:        bg,
		cancel:    cancel,
		secrets:   []string{strings.TrimSpace(cfg.CustomerToken)},
		unsettled: map[[sha256.Size]byte]struct{}{},
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
	status   int
	body     []byte
	hdr      http.Header
	redirect *httpx.RedirectError // a 3xx, which is never followed
}

// call runs one API call through session, pacing, retries and error
// classification. A 2xx answer comes back; anything else is an error.
// guess G11 (docs/guesses.md).
func (c *Client) call(ctx context.Context, r request) (*answer, error) {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("%w: %s %s: %v", ErrInvalidRequest, r.method, r.path, err)
		}
	}
	fp := fingerprint(r, payload)
	if c.settle(fp) {
		// The caller sends again a call that failed: that is a retry too,
		// made where the caller could check what the failure left behind.
		c.stats.retries.Add(1)
		c.log.Info("onefile retry by the caller", "method", r.method, "path", r.path)
	}
	ans, err := c.run(ctx, r, payload)
	if err != nil && resendable(ctx, err) {
		c.unsettle(fp)
	}
	return ans, err
}

// run is call's loop of attempts.
func (c *Client) run(ctx context.Context, r request, payload []byte) (*answer, error) {
	var (
		unknown  bool  // an earlier attempt may have taken effect
		renewed  bool  // a new session was fetched after a 401 in this call
		lastErr  error // the last retryable failure
		attempts int
		waits    int // 429s waited out within the patience budget
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
		ans, class, err := c.attempt(ctx, r, payload, tok)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil { // the caller gave up (Ctrl-C), not OneFile
				return nil, c.stopped(r, ctx.Err(), unknown || class == httpx.Unknown)
			}
			if errors.Is(err, ErrInvalidRequest) {
				return nil, err
			}
			c.stats.networkErrors.Add(1)
			switch class {
			case httpx.Untrusted: // no retry can fix a certificate
				return nil, err
			case httpx.Unknown:
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

		case class == httpx.Success:
			c.pacer.success()
			c.throttledSince.Store(0)
			return ans, nil

		case ans.redirect != nil:
			// OneFile does not redirect; one that does is not OneFile, or
			// the URL is wrong. Its final word: not retried.
			return nil, fmt.Errorf("%s %s: %w", r.method, r.path, ans.redirect)

		default:
			apiErr := c.apiError(r, ans, unknown)
			switch class {
			case httpx.Throttled:
				// Refused before any change: always safe to retry.
				c.stats.tooMany.Add(1)
				c.pacer.tooMany()
				if ra, ok := httpx.RetryAfter(ans.hdr.Get("Retry-After"), time.Now()); ok {
					c.pacer.pause(time.Now().Add(ra))
					wait = ra
				}
				if c.cfg.Patience > 0 {
					// Within the patience budget a 429 is waited out, not
					// counted against MaxRetries: OneFile refused before
					// doing anything, and its limit frees up with time.
					spell := c.throttledFor()
					if spell >= c.cfg.Patience {
						gu := &GaveUpError{Attempts: attempts, Last: apiErr, Throttled: spell, Patience: c.cfg.Patience}
						if unknown {
							return nil, &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: gu}
						}
						return nil, gu
					}
					waits++
					attempts--
					wait = min(max(wait, c.policy.Backoff(waits)), c.cfg.Patience-spell+time.Second)
					lastErr = apiErr
					c.log.Info("onefile throttled", "method", r.method, "path", r.path, "for", spell, "wait", wait)
					if c.cfg.OnRetry != nil {
						c.cfg.OnRetry(RetryEvent{Method: r.method, Path: r.path, Attempt: attempts + 1, Status: ans.status, Err: apiErr, Wait: wait})
					}
					c.stats.retries.Add(1)
					if err := httpx.Sleep(ctx, wait); err != nil {
						return nil, c.stopped(r, err, unknown)
					}
					continue
				}
			case httpx.Unknown: // 5xx
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

		if !c.policy.More(attempts) {
			if unknown {
				return nil, &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: &GaveUpError{Attempts: attempts, Last: lastErr}}
			}
			return nil, &GaveUpError{Attempts: attempts, Last: lastErr}
		}
		wait = c.policy.Delay(attempts, wait)
		status := 0
		if ans != nil {
			status = ans.status
		}
		c.stats.retries.Add(1)
		c.log.Info("onefile retry", "method", r.method, "path", r.path, "attempt", attempts, "status", status, "wait", wait, "error", lastErr.Error())
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(RetryEvent{Method: r.method, Path: r.path, Attempt: attempts, Status: status, Err: lastErr, Wait: wait})
		}
		if err := httpx.Sleep(ctx, wait); err != nil {
			return nil, c.stopped(r, err, unknown)
		}
	}
}

// throttledFor is how long this client's calls have all been answered 429,
// starting the spell now if none is under way.
func (c *Client) throttledFor() time.Duration {
	now := time.Now().UnixNano()
	if c.throttledSince.CompareAndSwap(0, now) {
		return 0
	}
	return time.Duration(now - c.throttledSince.Load())
}

// stopped is the error for a call the caller cancelled.
func (c *Client) stopped(r request, err error, unknown bool) error {
	if unknown && r.kind != idempotent {
		return &OutcomeUnknownError{Method: r.method, Path: r.path, Cause: err}
	}
	return err
}

// fingerprint identifies a call by what it sends.
func fingerprint(r request, payload []byte) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.method, r.path)
	h.Write(payload)
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp
}

// resendable reports a failure a caller may answer by sending the same call
// again: an outcome to check, retries run out, no answer. Not a refusal (the
// same call gets the same answer) and not the caller's own cancellation.
func resendable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, ErrAuth) || errors.Is(err, ErrInvalidRequest) || errors.Is(err, httpx.ErrRedirect) || httpx.TLSProblem(err) != nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) && !errors.Is(err, ErrOutcomeUnknown) {
		var g *GaveUpError
		return errors.As(err, &g) // a 4xx alone is OneFile's final word
	}
	return true
}

// settle forgets fp, reporting whether it was an unsettled failure.
func (c *Client) settle(fp [sha256.Size]byte) bool {
	c.unsettledMu.Lock()
	defer c.unsettledMu.Unlock()
	_, ok := c.unsettled[fp]
	delete(c.unsettled, fp)
	return ok
}

func (c *Client) unsettle(fp [sha256.Size]byte) {
	c.unsettledMu.Lock()
	defer c.unsettledMu.Unlock()
	if len(c.unsettled) >= maxUnsettled {
		clear(c.unsettled)
	}
	c.unsettled[fp] = struct{}{}
}

// attempt makes one HTTP exchange and classifies it. An error (no complete
// answer) comes with httpx.NotSent when the request cannot have reached
// OneFile, httpx.Unknown when OneFile may have acted on it, and
// httpx.Untrusted for a certificate no retry can fix.
func (c *Client) attempt(ctx context.Context, r request, payload []byte, session string) (*answer, httpx.Class, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	actx, written := httpx.TrackWrite(actx)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, c.base+r.path, body)
	if err != nil {
		return nil, httpx.NotSent, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
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
		return nil, httpx.ClassifyError(err, written()), c.netError(r, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, httpx.ClassifyError(err, true), c.netError(r, actx, err)
	}
	c.log.Debug("onefile call", "method", r.method, "path", r.path, "status", resp.StatusCode, "elapsed", time.Since(start))
	c.noteRateHeaders(resp.Header)
	return &answer{status: resp.StatusCode, body: data, hdr: resp.Header, redirect: httpx.Redirected(resp)}, httpx.ClassifyStatus(resp.StatusCode), nil
}

func (c *Client) netError(r request, actx context.Context, err error) error {
	if te := httpx.TLSProblem(err); te != nil {
		// Its words are the verifier's, without the URL: nothing to scrub.
		return &NetworkError{Method: r.method, Path: r.path, Err: te}
	}
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
// guess G5 (docs/guesses.md).
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
