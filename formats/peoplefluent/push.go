package peoplefluent

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of Pusher's fields.
const (
	DefaultUser          = "bulk"
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
//   - other 5xx, and a connection lost after the chunk was sent (reset,
//     timeout): the outcome is unknown, since the LMS may have loaded some
//     rows. The chunk is retried only when replaying it cannot create
//     duplicates (see replaySafe); otherwise its rows are reported failed
//     with "check in the LMS before sending again".
//   - 401 and 403: *AuthError; 404, 405 and redirects: *EndpointError. Both
//     stop the push, since every chunk would get the same answer.
//   - any other 4xx: the chunk's rows fail with the LMS's answer.
//
// Every row read ends in exactly one Result, so counts add up even when Push
// returns an error: rows never sent are reported failed, "not sent: why".
type Pusher struct {
	Base   string // LMS root, e.g. https://host/ekp/ (with or without the last slash)
	Key    Secret // the system key
	User   string // Basic user name; the LMS ignores it. Default "bulk".
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

	sleep func(context.Context, time.Duration) error // replaced by tests
}

// Summary counts the results of a push. Rows == OK + Warnings + Failed.
type Summary struct {
	Rows, OK, Warnings, Failed int
	Chunks                     int      // requests that got a final answer or failure
	Results                    []Result // when Pusher.OnResult is nil
}

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
	if u, _ := ParseBase(p.Base); u.Scheme == "http" && !isLoopback(u.Hostname()) {
		s.log.Warn("the LMS base URL is plain http: the system key crosses the network unencrypted; use https", "url", url)
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

func (p *Pusher) client() *http.Client {
	var c http.Client
	if p.Client != nil {
		c = *p.Client
	} else {
		c.Timeout = DefaultTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
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
}

func (s *pushRun) emit(r Result) error {
	s.sum.Rows++
	switch r.Status {
	case StatusOK:
		s.sum.OK++
	case StatusWarning:
		s.sum.Warnings++
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
	c, err := newChunker(s.file, payload, s.p.ChunkRows)
	if err != nil {
		return err
	}
	client := s.p.client()
	var buf bytes.Buffer
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
			return s.stop(c, ch, "not sent: the push was cancelled", err)
		}
		if err := encodeChunk(&buf, c.header, ch.rows); err != nil {
			return err
		}
		raw := fmt.Sprintf("chunk-%04d.txt", ch.index)
		safe := replaySafe(s.ep, c.header, ch.rows)
		start := time.Now()
		answer, failMsg, attempts, fatal := s.post(ctx, client, buf.Bytes(), safe, raw)
		if fatal != nil {
			return s.stop(c, ch, fatalRowMessage(fatal), fatal)
		}
		s.sum.Chunks++
		before := s.sum
		if failMsg != "" {
			if err := s.emitAll(ch.nums, StatusFailed, failMsg); err != nil {
				return err
			}
		} else {
			outs, kind := parseAnswer(answer, c.header, ch.rows, s.rawRef(raw))
			for i, o := range outs {
				if err := s.emit(Result{File: s.file, Row: ch.nums[i], Status: o.status, Message: o.message}); err != nil {
					return err
				}
			}
			s.log.Debug("answer", "chunk", ch.index, "form", string(kind))
		}
		s.log.Info("chunk pushed", "file", s.file, "chunk", ch.index,
			"rows", fmt.Sprintf("%d-%d", ch.nums[0], ch.nums[len(ch.nums)-1]),
			"attempts", attempts, "ok", s.sum.OK-before.OK, "warnings", s.sum.Warnings-before.Warnings,
			"failed", s.sum.Failed-before.Failed, "elapsed", time.Since(start).Round(time.Millisecond))
	}
}

// stop reports the rows of the chunk in hand and every row after it as not
// loaded, then returns err. Reading the rest of a local file costs about a
// second per million rows and makes the counts add up.
func (s *pushRun) stop(c *chunker, ch *chunk, msg string, err error) error {
	if e := s.emitAll(ch.nums, StatusFailed, msg); e != nil {
		return e
	}
	rest := "not sent: " + fatalReason(err)
	for {
		ch, rerr := c.Next(s.file)
		if ch != nil {
			if e := s.emitAll(ch.nums, StatusFailed, rest); e != nil {
				return e
			}
		}
		if rerr != nil {
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

// fatalRowMessage is the message for the rows of the chunk in flight when
// the push stopped: after a cancellation the request may have reached the LMS.
func fatalRowMessage(err error) string {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "the push was cancelled while this row's chunk was being sent, so the LMS may or may not have loaded it: check it in the LMS before sending it again"
	}
	return "not sent: " + fatalReason(err)
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

func (s *pushRun) pushWhole(ctx context.Context, payload io.Reader) error {
	body, err := io.ReadAll(io.LimitReader(payload, maxWholePayload+1))
	if err != nil {
		return fmt.Errorf("%s: %w", s.file, err)
	}
	if len(body) > maxWholePayload {
		return fmt.Errorf("%s is larger than %d MiB: split the courses into several files", s.file, maxWholePayload>>20)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &PayloadError{File: s.file, Line: 1, Err: errors.New("the file is empty")}
	}
	const raw = "chunk-0001.txt"
	if err := ctx.Err(); err != nil {
		_ = s.emit(Result{File: s.file, Status: StatusFailed, Message: "not sent: the push was cancelled"})
		return err
	}
	answer, failMsg, attempts, fatal := s.post(ctx, s.p.client(), body, false, raw)
	if fatal != nil {
		if err := s.emit(Result{File: s.file, Status: StatusFailed, Message: fatalRowMessage(fatal)}); err != nil {
			return err
		}
		return fatal
	}
	s.sum.Chunks++
	o := outcome{StatusFailed, failMsg}
	if failMsg == "" {
		o, _ = parseWholeAnswer(answer, s.rawRef(raw))
	}
	s.log.Info("file pushed", "file", s.file, "attempts", attempts, "status", o.status)
	return s.emit(Result{File: s.file, Row: 0, Status: o.status, Message: o.message})
}

// post sends one body until it gets an answer it can act on. It returns the
// 2xx answer body, or a message for the chunk's rows when the chunk failed,
// or a fatal error that stops the push.
func (s *pushRun) post(ctx context.Context, client *http.Client, body []byte, safe bool, raw string) (answer []byte, failMsg string, attempts int, fatal error) {
	p := s.p
	retries := p.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	for attempt := 0; ; attempt++ {
		attempts = attempt + 1
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return nil, "", attempts, err
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
			if ctx.Err() != nil {
				return nil, "", attempts, ctx.Err()
			}
			why = p.Key.scrub(err.Error(), p.user())
			switch {
			case isCertError(err):
				return nil, "", attempts, &ConnectError{URL: s.url, Err: err}
			case notSent(err):
				if attempt >= retries {
					return nil, "", attempts, &ConnectError{URL: s.url, Err: err}
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
				return nil, "", attempts, err
			}
			code := resp.StatusCode
			status := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
			if ex := firstBytes(data); ex != "" {
				status += ": " + ex
			}
			switch {
			case code >= 200 && code < 300 && rerr == nil:
				return data, "", attempts, nil
			case code >= 200 && code < 300:
				why, retry, unknown = "the answer broke off: "+rerr.Error(), safe, true
			case code == http.StatusUnauthorized, code == http.StatusForbidden:
				return nil, "", attempts, &AuthError{Status: code, URL: s.url}
			case code == http.StatusNotFound, code == http.StatusMethodNotAllowed:
				return nil, "", attempts, &EndpointError{Status: code, URL: s.url}
			case code >= 300 && code < 400:
				return nil, "", attempts, &EndpointError{Status: code, URL: s.url, Location: resp.Header.Get("Location")}
			case code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
				why, retry = status, true
				if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
					if d > p.maxRetryAfter() {
						return nil, fmt.Sprintf("not loaded: the LMS is not taking requests (%s) and asked to wait %s, longer than bulk waits (%s): send these rows again later", status, d.Round(time.Second), p.maxRetryAfter()), attempts, nil
					}
					wait = d
				}
			case code >= 500:
				why, retry, unknown = status, safe, true
			default:
				return nil, fmt.Sprintf("the LMS refused this chunk (%s): see %s", status, s.rawRef(raw)), attempts, nil
			}
		}

		if !retry || attempt >= retries {
			switch {
			case unknown && !safe:
				return nil, fmt.Sprintf("outcome unknown: the LMS did not confirm this chunk (%s) and may have loaded some of its rows; bulk did not send it again because rows that add records (ACTION A, CREATESESSION true, new courses) could be duplicated: check these rows in the LMS before sending them again", why), attempts, nil
			case unknown:
				return nil, fmt.Sprintf("not confirmed: the LMS did not confirm this chunk after %d attempts (last: %s); its rows only update or delete, so sending them again is safe", attempts, why), attempts, nil
			default:
				return nil, fmt.Sprintf("not loaded: the LMS did not take this chunk after %d attempts (last: %s): send these rows again later", attempts, why), attempts, nil
			}
		}
		if wait == 0 {
			// No Retry-After, or one of 0 or a date already past: "now"
			// says nothing of how busy the LMS is, and retrying at once
			// would hammer it, so the normal backoff applies.
			wait = p.backoff(attempt)
		}
		s.log.Warn("retrying", "file", s.file, "raw", raw, "attempt", attempts, "reason", why, "wait", wait.Round(time.Millisecond))
		if err := p.wait(ctx, wait); err != nil {
			return nil, "", attempts, err
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

// backoff is the wait before retry number attempt+1: MinBackoff doubled per
// attempt, capped at MaxBackoff, then "equal jitter" (half fixed, half
// random) so that several bulk runs do not retry in step.
func (p *Pusher) backoff(attempt int) time.Duration {
	lo, hi := p.MinBackoff, p.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	d := lo
	for range attempt {
		if d >= hi/2 {
			d = hi
			break
		}
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}

func (p *Pusher) wait(ctx context.Context, d time.Duration) error {
	if p.sleep != nil {
		return p.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// notSent reports whether a transport error proves the request never reached
// the server: the name did not resolve or the connection was never made.
func notSent(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isCertError reports a TLS failure that retrying cannot fix.
func isCertError(err error) bool {
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	return errors.As(err, &cv) || errors.As(err, &rh)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
