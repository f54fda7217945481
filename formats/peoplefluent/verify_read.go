package peoplefluent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bulkload/bulk/internal/httpx"
)

// The LMS's system-authenticated reads bulk uses (vendor API reference: "trainingHistoryXml"
// and "users200510Xml", "Authentication: System authentication", query parameters, XML answers
// described by trainingHistory200510.xsd and users200510.xsd, which are not public).
const (
	ReadTrainingHistory = "trainingHistoryXml"
	ReadUsers           = "users200510Xml"
)

// LastUpdatedLayout is the format of trainingHistoryXml's lastUpdatedStart and lastUpdatedEnd
// (doc: yyyy-MM-dd'T'HH:mm'Z').
const LastUpdatedLayout = "2006-01-02T15:04Z"

// UsersStatusActive is the status users200510Xml is asked for. The reference makes status
// required but lists no values; Active is the spelling the LMS's user loader uses (seen in
// public client code, with Suspend and Close). A guess: see docs/peoplefluent-verify.md.
const UsersStatusActive = "Active"

// maxReadAnswer bounds an answer that is not XML (an error page) kept for a message.
const maxErrorExcerpt = 4 << 10

// ReadURL is {base}/api/{name}?query. The api/ path is seen for users200510Xml (a public client
// calls {base}/api/users200510Xml); for trainingHistoryXml it is a guess by analogy: the
// reference lists both without the contentHandler/ prefix its upload endpoints carry.
func ReadURL(base, name string, query url.Values) (string, error) {
	u, err := ParseBase(base)
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/" + name
	u.RawPath = ""
	u.RawQuery = query.Encode()
	return u.String(), nil
}

// Reader makes the LMS's system-authenticated reads: GET with HTTP Basic (User, the system key
// as password), as Pusher posts. Reads are idempotent, so a read whose answer was lost, a 429,
// a 503 or another 5xx is simply made again (Retries, with backoff); a refused key, a wrong
// URL or an untrusted certificate stops at once.
type Reader struct {
	Base    string
	Key     Secret
	User    string // default DefaultUser
	Client  *http.Client
	Retries int // 0: DefaultRetries; negative: none

	MinBackoff time.Duration // default 1s
	sleep      func(context.Context, time.Duration) error
}

// ReadError is an answer to a read that is neither the data nor a refused key: a 404 (the
// read is not at that URL), another 4xx, or a 5xx that retries did not cure.
type ReadError struct {
	Read    string
	URL     string // without the query, which names users
	Status  int
	Excerpt string // the answer's first bytes, key scrubbed
}

func (e *ReadError) Error() string {
	msg := fmt.Sprintf("GET %s answered HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	if e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed {
		msg += fmt.Sprintf(": check --base (the LMS root, e.g. https://host/ekp/) and ask the LMS administrator whether %s is enabled", e.Read)
	}
	return msg
}

// AnswerError says an answer came with HTTP 2xx but is not the read's XML (a login page, an
// empty body, another document).
type AnswerError struct {
	Read string
	URL  string
	Err  error
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("the answer of %s at %s is not what bulk expects: %v; the answer's layout is not public (see docs/peoplefluent-verify.md)", e.Read, e.URL, e.Err)
}

func (e *AnswerError) Unwrap() error { return e.Err }

func (r *Reader) user() string {
	if strings.TrimSpace(r.User) == "" {
		return DefaultUser
	}
	return r.User
}

func (r *Reader) policy() httpx.Policy {
	retries := r.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	lo := r.MinBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	return httpx.Policy{MaxAttempts: retries + 1, Base: lo, Cap: DefaultMaxBackoff, Jitter: httpx.EqualJitter, MaxRetryAfter: DefaultMaxRetryAfter}
}

// Get reads name with query and hands the answer's body to decode, which reads it as a stream.
// An error from decode is an *AnswerError unless it is ctx's. The URL in errors has no query.
func (r *Reader) Get(ctx context.Context, name string, query url.Values, decode func(io.Reader) error) error {
	full, err := ReadURL(r.Base, name, query)
	if err != nil {
		return err
	}
	bare, _ := ReadURL(r.Base, name, nil)
	if r.Key.IsZero() {
		return errors.New("no PeopleFluent system key: set BULK_PF_SYSTEM_KEY or pass --key-file")
	}
	if r.User != "" {
		if err := CheckUser(r.User); err != nil {
			return err
		}
	}
	client := httpx.WithRedirects(r.Client, httpx.NoRedirects)
	if r.Client == nil {
		client.Timeout = DefaultTimeout
	}
	pol := r.policy()
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, full, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/xml, text/xml")
		req.Header.Set("User-Agent", "bulk")
		req.SetBasicAuth(r.user(), r.Key.reveal())
		var wait time.Duration
		var last error
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if tlsErr := httpx.TLSProblem(err); tlsErr != nil {
				return &ConnectError{URL: bare, Err: tlsErr}
			}
			// The error names the URL with its query; the key never is in it (it travels in
			// a header), but keep messages short and scrub anyway.
			last = &ConnectError{URL: bare, Err: errors.New(r.Key.scrub(unwrapURLError(err), r.user()))}
		} else {
			code := resp.StatusCode
			switch {
			case code >= 200 && code < 300:
				derr := decode(resp.Body)
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				_ = resp.Body.Close()
				if derr != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					var ae *AnswerError
					if errors.As(derr, &ae) {
						return derr
					}
					return &AnswerError{Read: name, URL: bare, Err: errors.New(r.Key.scrub(derr.Error(), r.user()))}
				}
				return nil
			case code == http.StatusUnauthorized || code == http.StatusForbidden:
				body := r.excerpt(resp)
				return &AuthError{Status: code, URL: bare, User: r.user(), Said: body}
			case httpx.Redirected(resp) != nil:
				_ = resp.Body.Close()
				return &EndpointError{Status: code, URL: bare, Location: httpx.Redirected(resp).Location, Method: http.MethodGet}
			case code == http.StatusTooManyRequests || code >= 500:
				if d, ok := httpx.RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && !pol.TooLong(d) {
					wait = d
				}
				last = &ReadError{Read: name, URL: bare, Status: code, Excerpt: r.excerpt(resp)}
			default:
				return &ReadError{Read: name, URL: bare, Status: code, Excerpt: r.excerpt(resp)}
			}
		}
		if !pol.More(attempt) {
			return last
		}
		wait = pol.Delay(attempt, wait)
		sleep := r.sleep
		if sleep == nil {
			sleep = httpx.Sleep
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// excerpt reads and closes an error answer, returning its first line, key scrubbed.
func (r *Reader) excerpt(resp *http.Response) string {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorExcerpt))
	_ = resp.Body.Close()
	return firstBytes([]byte(r.Key.scrub(string(data), r.user())))
}

// unwrapURLError drops net/http's "Get \"URL\": " prefix, which repeats the query.
func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	return err.Error()
}
