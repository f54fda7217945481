package peoplefluent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/internal/httpx"
	"github.com/bulkload/bulk/internal/target"
)

// Defaults for the zero values of Pusher's fields.
const (
	DefaultUser          = "bulk" // guess G35 (docs/guesses.md): which name the LMS checks, if any
	DefaultRetries       = 4
	DefaultMinBackoff    = time.Second
	DefaultMaxBackoff    = time.Minute
	DefaultMaxRetryAfter = 5 * time.Minute
	// DefaultTimeout bounds one request when Pusher.Client is nil. The LMS
	// loads a chunk before it answers, so this is generous.
	DefaultTimeout = 10 * time.Minute
	// maxAnswer bounds the answer body read into memory for one chunk. An
	// echo of 5000 rows is a few megabytes.
	maxAnswer = 256 << 20
	// maxWholePayload bounds a payload posted whole (courses XML).
	maxWholePayload = 512 << 20
)

// Pusher posts payload files to the LMS's contentHandler endpoints.
//
// CSV payloads are sent in chunks of ChunkRows data rows, each repeating the
// header, one chunk at a time and in file order: later rows may depend on
// earlier ones (a session created, then enrolments in it), and the LMS is
// not asked to take more than one load at once. courses XML is posted whole.
//
// Failures are handled per chunk, so one bad chunk does not stop the rest:
//   - the LMS could not be reached (name lookup, connection refused): the
//     chunk was provably not sent, so it is retried; if it never gets
//     through, Push stops with a *ConnectError.
//   - 429 and 503: the LMS refused the request without taking it; retried,
//     honouring Retry-After up to MaxRetryAfter.
//   - other 5xx, a connection lost after the chunk was sent (reset,
//     timeout), and a 2xx answer that is not the endpoint's (empty, a login
//     page): the outcome is unknown, since the LMS may have loaded some rows.
//     Rows that replaying cannot duplicate (see rowsSafe) are sent again; the
//     others are reported StatusUnknown, "check in the LMS".
//   - 401 and 403: *AuthError; 404, 405 and redirects: *EndpointError. Both
//     stop the push, since every chunk would get the same answer.
//   - any other 4xx: the chunk's rows fail with the LMS's answer.
//
// Every row read ends in exactly one Result, so counts add up even when Push
// returns an error: rows never sent are reported failed, "not sent: why".
// With a Ledger, pushing the same payload again resumes (see Ledger).
type Pusher struct {
	Base string // LMS root, e.g. https://host/ekp/ (with or without the last slash)
	Key  Secret // the system key
	// User is the Basic user name (the system user). The vendor's reference says the LMS
	// ignores it, but the vendor's own client sends an administrator's user ID and an LMS may
	// be set up to check it; see CheckUser. Default DefaultUser.
	User   string
	Client *http.Client

	ChunkRows     int           // data rows per CSV chunk; default DefaultChunkRows
	Retries       int           // retries after the first attempt; 0 = DefaultRetries, negative = none
	MinBackoff    time.Duration // first retry wait (doubled each retry, with jitter); default 1s
	MaxBackoff    time.Duration // longest computed wait; default 1m
	MaxRetryAfter time.Duration // longest Retry-After honoured; longer ones are not waited for; default 5m

	// RawDir, if set, receives each chunk's answer body as chunk-0001.txt,
	// chunk-0002.txt, ... (courses: chunk-0001.txt), with the key scrubbed.
	// Request headers are never written.
	RawDir string
	Logger *slog.Logger // nil: no logging

	// OnResult, if set, receives every result as soon as it is known and
	// Summary.Results stays empty: a million-row push then keeps no
	// results in memory. An error from OnResult stops the push.
	OnResult func(Result) error
	// AfterChunk, if set, is called after each chunk's results went to OnResult: flush
	// results.csv there, so a run killed later still leaves what the LMS answered so far.
	AfterChunk func() error

	// Ledger, if set, records every chunk: an intent before each POST and the outcome after
	// it, keyed by the canonical base URL, the endpoint, the payload's SHA-256 and the chunk
	// (index and its own SHA-256). Pushing the same payload again then resumes: chunks the LMS
	// answered are not sent again (their earlier results are reported), chunks never sent or
	// provably not loaded are sent, and a chunk whose answer was lost is resolved row by row
	// (see rowsSafe): rows that only update are sent again, rows that may create are reported
	// StatusUnknown for a person to check, unless ResendUnknown. With a Ledger, Push needs a
	// payload it can read twice (an io.ReadSeeker such as an *os.File), to fingerprint it.
	Ledger *pushledger.Ledger
	// ResendUnknown sends again the rows an earlier run left "unknown" (the person checked
	// in the LMS that they were not loaded).
	ResendUnknown bool
	// Again starts a new push of a payload the ledger already holds, instead of resuming it:
	// every row is sent again (the data officer means to).
	Again bool
	// Held, if set, is the push's lock, taken by the caller with LockPush on the same Ledger,
	// payload, Base and endpoint; Push then uses it and leaves releasing it to the caller.
	Held *pushledger.Lock

	sleep func(context.Context, time.Duration) error // replaced by tests
}

// Summary counts the results of a push. Rows == OK + Warnings + Failed + Unknown.
type Summary struct {
	Rows, OK, Warnings, Failed int
	// Unknown counts rows that may or may not be in the LMS (their chunk's answer was lost or
	// could not be read, and sending them again could create a second record).
	Unknown int
	Chunks  int      // requests that got a final answer or failure
	Results []Result // when Pusher.OnResult is nil

	Resumed []int // chunks whose answer an earlier run lost, resolved by this run
	Earlier int   // chunks an earlier run of the same push had answered: not sent again
}

// Problems is how many rows did not end ok or warning: Failed + Unknown. A push with
// problems exits 1.
func (s Summary) Problems() int { return s.Failed + s.Unknown }

// Push posts payload (the contents of the file named fileName, which is used
// in results and messages) to the endpoint. It returns an error only when the
// push could not go on: bad settings, an unreadable payload (*PayloadError),
// auth (*AuthError), wrong URL (*EndpointError), no connection
// (*ConnectError), cancellation (ctx.Err()), or OnResult failing. Row
// failures are not errors: they are in the Summary.
func (p *Pusher) Push(ctx context.Context, ep Endpoint, fileName string, payload io.Reader) (Summary, error) {
	s := &pushRun{p: p, ep: ep, file: fileName, log: p.logger()}
	url, err := ep.URL(p.Base)
	if err != nil {
		return Summary{}, err
	}
	if _, err := ParseEndpoint(string(ep)); err != nil {
		return Summary{}, err
	}
	if err := CheckUser(p.User); p.User != "" && err != nil {
		return Summary{}, err
	}
	if p.Key.IsZero() {
		return Summary{}, errors.New("no PeopleFluent system key: set BULK_PF_SYSTEM_KEY or pass --key-file")
	}
	if p.RawDir != "" {
		// The LMS echoes the rows it was sent: personal data, for the owner only.
		if err := os.MkdirAll(p.RawDir, 0o700); err != nil {
			return Summary{}, fmt.Errorf("cannot create the directory for raw LMS answers: %w", err)
		}
	}
	s.url = url
	if u, err := target.Canonical(p.Base, target.AllowInsecureHTTP); err == nil && u.Insecure() {
		s.log.Warn("the LMS base URL is plain http: the system key crosses the network unencrypted; use https", "url", url)
	}
	if p.Ledger != nil {
		release, err := s.beginLedger(ctx, payload)
		if err != nil {
			return Summary{}, err
		}
		defer release()
	}
	if ep.IsCSV() {
		err = s.pushCSV(ctx, payload)
	} else {
		err = s.pushWhole(ctx, payload)
	}
	return s.sum, err
}

func (p *Pusher) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// client is Client (or one with DefaultTimeout) that follows no redirect: a redirected POST
// becomes a GET without the payload, and the Authorization header could go with it.
func (p *Pusher) client() *http.Client {
	c := httpx.WithRedirects(p.Client, httpx.NoRedirects)
	if p.Client == nil {
		c.Timeout = DefaultTimeout
	}
	return c
}

// policy is the push's retry policy, shared in form with the OneFile client (package httpx):
// Retries+1 attempts, waits doubling from MinBackoff up to MaxBackoff with equal jitter (never
// much less than the step: the LMS needs a rest, and several bulk runs do not retry in step),
// and no Retry-After longer than MaxRetryAfter waited for.
func (p *Pusher) policy() httpx.Policy {
	retries := p.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	lo, hi := p.MinBackoff, p.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	return httpx.Policy{MaxAttempts: retries + 1, Base: lo, Cap: hi, Jitter: httpx.EqualJitter, MaxRetryAfter: p.maxRetryAfter()}
}

// CheckUser says what is wrong with a system user name for HTTP Basic authentication: it must
// not be blank, hold a colon (which would end the name, RFC 7617) or control characters, or be
// longer than the LMS's 85-character user IDs.
func CheckUser(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("the PeopleFluent system user name is blank: give the administrator's user ID the LMS expects")
	case strings.Contains(name, ":"):
		return fmt.Errorf("the PeopleFluent system user name %q contains a colon, which HTTP Basic authentication cannot carry", name)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return fmt.Errorf("the PeopleFluent system user name %q contains a control character", name)
	case len([]rune(name)) > 85:
		return fmt.Errorf("the PeopleFluent system user name is %d characters long; LMS user IDs have at most 85", len([]rune(name)))
	}
	return nil
}

func (p *Pusher) user() string {
	if strings.TrimSpace(p.User) == "" {
		return DefaultUser
	}
	return p.User
}

// pushRun is the state of one Push call.
type pushRun struct {
	p    *Pusher
	ep   Endpoint
	file string
	url  string
	log  *slog.Logger
	sum  Summary

	push    pushledger.Push // with a Ledger: the push this run continues
	payload string          // with a Ledger: the payload's fingerprint
}

func (s *pushRun) emit(r Result) error {
	s.sum.Rows++
	switch r.Status {
	case StatusOK:
		s.sum.OK++
	case StatusWarning:
		s.sum.Warnings++
	case StatusUnknown:
		s.sum.Unknown++
	default:
		s.sum.Failed++
	}
	if s.p.OnResult != nil {
		return s.p.OnResult(r)
	}
	s.sum.Results = append(s.sum.Results, r)
	return nil
}

func (s *pushRun) emitAll(nums []int, status, msg string) error {
	for _, n := range nums {
		if err := s.emit(Result{File: s.file, Row: n, Status: status, Message: msg}); err != nil {
			return err
		}
	}
	return nil
}

func (s *pushRun) pushCSV(ctx context.Context, payload io.Reader) error {
	c, err := newChunker(s.file, payload, s.chunkRows())
	if err != nil {
		return err
	}
	client := s.p.client()
	for {
		ch, err := c.Next(s.file)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// The file breaks inside this chunk: send none of it, since
			// the rows after the break cannot be trusted to be the
			// rows the user meant.
			if ch != nil {
				if e := s.emitAll(ch.nums, StatusFailed, "not sent: "+err.Error()); e != nil {
					return e
				}
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return s.stop(ctx, c, ch, err)
		}
		if fatal := s.chunk(ctx, client, c.header, ch, nil); fatal != nil {
			return s.stop(ctx, c, nil, fatal)
		}
	}
}

// stop reports the rows of the chunk in hand (if any) and every row after it without sending
// anything, then returns err: rows never sent are "not sent: why", rows an earlier run of the
// push answered keep that answer, rows whose answer an earlier run lost stay unknown. Reading
// the rest of a local file costs about a second per million rows and makes the counts add up.
func (s *pushRun) stop(ctx context.Context, c *chunker, ch *chunk, err error) error {
	for {
		if ch != nil {
			if e := s.chunk(ctx, nil, c.header, ch, err); e != nil {
				return e
			}
		}
		var rerr error
		ch, rerr = c.Next(s.file)
		if rerr != nil && ch == nil {
			if !errors.Is(rerr, io.EOF) {
				s.log.Warn("the rest of the payload could not be read", "error", rerr)
			}
			return err
		}
	}
}

// fatalReason says in a few words why the push stopped.
func fatalReason(err error) string {
	var ae *AuthError
	var ee *EndpointError
	var ce *ConnectError
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("the LMS refused the system key (HTTP %d)", ae.Status)
	case errors.As(err, &ee):
		return fmt.Sprintf("the LMS URL is wrong (HTTP %d)", ee.Status)
	case errors.As(err, &ce):
		return "the LMS could not be reached"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "the push was cancelled"
	}
	return err.Error()
}

// rawRef names a saved answer in messages: relative to the directory that
// holds RawDir (report/raw/chunk-0001.txt is "raw/chunk-0001.txt"), which is
// where results.csv is written, so the name stays right when the report
// directory is moved or shared.
func (s *pushRun) rawRef(name string) string {
	if s.p.RawDir == "" {
		return "the LMS's answer (not kept: no raw directory was given)"
	}
	return filepath.ToSlash(filepath.Join(filepath.Base(filepath.Clean(s.p.RawDir)), name))
}

// post's verdict on one body.
type postOutcome int

const (
	postAnswered  postOutcome = iota // a 2xx answer, in body
	postNotLoaded                    // provably not loaded (never connected, 429/503, refused with a 4xx)
	postUnknown                      // sent, and no answer came (5xx, connection lost, answer cut off)
)

type postResult struct {
	outcome  postOutcome
	body     []byte // the answer (postAnswered)
	why      string // what went wrong (postUnknown), for messages
	msg      string // the message for the rows (postNotLoaded)
	attempts int
	// maybeLoaded: some attempt may have reached the LMS and been loaded. Set also when post
	// returns a fatal error (a cancellation in the middle of a POST).
	maybeLoaded bool
}

// post sends one body until it gets an answer it can act on: a 2xx answer, a verdict that the
// body was not loaded or that its outcome is unknown, or a fatal error that stops the push.
// safe says whether sending the body twice is harmless (replaySafe): only then is a body whose
// outcome is unknown sent again.
func (s *pushRun) post(ctx context.Context, client *http.Client, body []byte, safe bool, raw string) (res postResult, fatal error) {
	p := s.p
	pol := p.policy()
	for {
		res.attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return res, err
		}
		req.Header.Set("Content-Type", s.ep.ContentType())
		req.Header.Set("Accept", "text/csv, text/plain, */*")
		req.Header.Set("User-Agent", "bulk")
		req.SetBasicAuth(p.user(), p.Key.reveal())

		var (
			retry   bool   // worth another attempt
			unknown bool   // the LMS may have applied the chunk
			why     string // what went wrong, for logs and messages
			wait    time.Duration
		)
		resp, err := client.Do(req)
		if err != nil {
			// Only an error that proves the request never reached the LMS (no name, no
			// connection) counts as not sent: a body cut off mid-way is not proof, since the
			// LMS may load the rows of a CSV as they arrive. So "written" is not tracked.
			class := httpx.ClassifyError(err, true)
			if ctx.Err() != nil {
				// Cancelled with the request perhaps on the wire.
				res.maybeLoaded = res.maybeLoaded || class != httpx.NotSent
				return res, ctx.Err()
			}
			why = p.Key.scrub(err.Error(), p.user())
			switch class {
			case httpx.Untrusted: // retrying cannot fix a certificate
				return res, &ConnectError{URL: s.url, Err: httpx.TLSProblem(err)}
			case httpx.NotSent:
				if !pol.More(res.attempts) {
					return res, &ConnectError{URL: s.url, Err: err}
				}
				retry = true
			default:
				retry, unknown = safe, true
			}
		} else {
			data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
			_ = resp.Body.Close()
			if len(data) > maxAnswer {
				rerr = fmt.Errorf("the answer is larger than %d MiB", maxAnswer>>20)
				data = data[:maxAnswer]
			}
			data = []byte(p.Key.scrub(string(data), p.user()))
			if err := s.saveRaw(raw, data); err != nil {
				res.maybeLoaded = true
				return res, err
			}
			code := resp.StatusCode
			status := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
			if ex := firstBytes(data); ex != "" {
				status += ": " + ex
			}
			class := httpx.ClassifyStatus(code)
			if code == http.StatusServiceUnavailable {
				// Unlike other 5xx, the LMS (and the proxy in front of it) answers 503 when
				// it is not taking requests at all: refused before anything was loaded, like
				// a 429, so even rows that add are sent again.
				class = httpx.Throttled
			}
			switch {
			case class == httpx.Success && rerr == nil:
				res.outcome, res.body = postAnswered, data
				res.maybeLoaded = true
				return res, nil
			case class == httpx.Success:
				why, retry, unknown = "the answer broke off: "+rerr.Error(), safe, true
			case code == http.StatusUnauthorized, code == http.StatusForbidden:
				return res, &AuthError{Status: code, URL: s.url, User: p.user()}
			case code == http.StatusNotFound, code == http.StatusMethodNotAllowed:
				return res, &EndpointError{Status: code, URL: s.url}
			case httpx.Redirected(resp) != nil:
				// Named without user name, password or query, which could hold a token.
				return res, &EndpointError{Status: code, URL: s.url, Location: httpx.Redirected(resp).Location}
			case class == httpx.Throttled:
				why, retry = status, true
				if d, ok := httpx.RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
					if pol.TooLong(d) {
						res.outcome = postNotLoaded
						res.msg = fmt.Sprintf("not loaded: the LMS is not taking requests (%s) and asked to wait %s, longer than bulk waits (%s): send these rows again later", status, d.Round(time.Second), pol.MaxRetryAfter)
						return res, nil
					}
					wait = d
				}
			case class == httpx.Unknown: // other 5xx: the LMS may have loaded some rows
				why, retry, unknown = status, safe, true
			default:
				res.outcome = postNotLoaded
				res.msg = fmt.Sprintf("the LMS refused this chunk (%s): see %s", status, s.rawRef(raw))
				return res, nil
			}
		}
		if unknown {
			res.maybeLoaded = true
		}

		if !retry || !pol.More(res.attempts) {
			if res.maybeLoaded {
				// An earlier attempt may have been loaded even if the last was refused.
				res.outcome, res.why = postUnknown, why
				if res.attempts > 1 {
					res.why = fmt.Sprintf("after %d attempts, the last: %s", res.attempts, why)
				}
				return res, nil
			}
			res.outcome = postNotLoaded
			res.msg = fmt.Sprintf("not loaded: the LMS did not take this chunk after %d attempts (last: %s): send these rows again later", res.attempts, why)
			return res, nil
		}
		// No Retry-After, or one of 0 or a date already past: "now" says nothing of how busy
		// the LMS is, and retrying at once would hammer it, so at least the backoff applies.
		wait = pol.Delay(res.attempts, wait)
		s.log.Warn("retrying", "file", s.file, "raw", raw, "attempt", res.attempts, "reason", why, "wait", wait.Round(time.Millisecond))
		if err := p.wait(ctx, wait); err != nil {
			return res, err
		}
	}
}

func (s *pushRun) saveRaw(name string, data []byte) error {
	if s.p.RawDir == "" {
		return nil
	}
	// The answer echoes personal data: 0600 whatever the umask (WriteFile's mode is masked).
	path := filepath.Join(s.p.RawDir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("cannot keep the LMS's answer: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("cannot keep the LMS's answer: %w", err)
	}
	return nil
}

func (p *Pusher) maxRetryAfter() time.Duration {
	if p.MaxRetryAfter > 0 {
		return p.MaxRetryAfter
	}
	return DefaultMaxRetryAfter
}

func (p *Pusher) wait(ctx context.Context, d time.Duration) error {
	if p.sleep != nil {
		return p.sleep(ctx, d)
	}
	return httpx.Sleep(ctx, d)
}
