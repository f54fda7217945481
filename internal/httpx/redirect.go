package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/bulkload/bulk/internal/target"
)

// SecretHeaders are the request headers that carry credentials in bulk's
// clients. Go's http.Client copies a request's headers onto the requests
// of the redirects it follows, custom ones (X-CustomerToken) even to
// another host; the redirect policies here never let these travel.
var SecretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-CustomerToken", "X-TokenID"}

// maxRedirects is as many as Go's default policy follows.
const maxRedirects = 10

// CheckRedirect is the type of http.Client.CheckRedirect.
type CheckRedirect = func(req *http.Request, via []*http.Request) error

// NoRedirects is a CheckRedirect that follows no redirect: the 3xx answer
// comes back to the caller as it is (see Redirected). Nothing is sent
// anywhere the caller did not name.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// SameOriginRedirects returns a CheckRedirect that follows up to 10
// redirects within the origin (scheme, host and port, compared in canonical
// form) of the first request, and removes SecretHeaders and the extra
// headers from every request it follows. A redirect to another origin is
// not followed: its 3xx answer comes back to the caller (see Redirected).
func SameOriginRedirects(extra ...string) CheckRedirect {
	secrets := append(append([]string(nil), SecretHeaders...), extra...)
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		from := target.OriginOf(via[0].URL)
		if from == "" || target.OriginOf(req.URL) != from {
			return http.ErrUseLastResponse
		}
		for _, h := range secrets {
			req.Header.Del(h)
		}
		return nil
	}
}

// WithRedirects returns a copy of hc (of a zero http.Client when hc is nil)
// whose CheckRedirect is check; hc itself is not changed, and the copy
// shares its transport (connection pool).
func WithRedirects(hc *http.Client, check CheckRedirect) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = check
	return &c
}

// RedirectError is a redirect answer a client did not follow.
type RedirectError struct {
	Status   int
	Location string // where it pointed, without user name, password or query
}

func (e *RedirectError) Error() string {
	where := e.Location
	if where == "" {
		where = "an unnamed place"
	}
	return fmt.Sprintf("the server answered HTTP %d %s, a redirect to %s, which bulk does not follow: a redirect could carry credentials to another server; check the URL (it may have moved, or need https://)",
		e.Status, http.StatusText(e.Status), where)
}

// ErrRedirect matches every *RedirectError with errors.Is.
var ErrRedirect = errors.New("redirect not followed")

// Is makes errors.Is(err, ErrRedirect) work.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirect }

// Redirected gives a *RedirectError for a 3xx answer (nil for any other),
// naming where it pointed, resolved against the request, with no user
// name, password, query or fragment.
func Redirected(resp *http.Response) *RedirectError {
	if resp == nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil
	}
	e := &RedirectError{Status: resp.StatusCode}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return e
	}
	u, err := url.Parse(loc)
	if err != nil {
		e.Location = "an unreadable address"
		return e
	}
	if resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u)
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	e.Location = u.String()
	return e
}
