package peoplefluent

import (
	"fmt"
	"net/http"
)

// AuthError is returned when the LMS refuses the system key (HTTP 401 or
// 403). Pushing stops at once: every later chunk would be refused too.
type AuthError struct {
	Status int
	URL    string
	User   string // the system user name sent (not a secret)
	// Said is the first words of the refusal, key scrubbed (a read keeps them: bulk probe tells
	// a refused user name from a refused key by them where the LMS says which).
	Said string
}

func (e *AuthError) Error() string {
	user := ""
	if e.User != "" {
		user = fmt.Sprintf(", sent as system user %q", e.User)
	}
	return fmt.Sprintf("the LMS refused the system key (HTTP %d %s) at %s%s: check that BULK_PF_SYSTEM_KEY or --key-file holds the LMS's current system key, that the user name is the admin user ID the LMS expects (--user or BULK_PF_USER; ask the LMS administrator), and that system authentication is enabled for contentHandler", e.Status, http.StatusText(e.Status), e.URL, user)
}

// EndpointError is returned when the URL does not lead to a contentHandler
// endpoint: a 404 or 405, or a redirect (which bulk never follows, because
// an HTTP client turns a redirected POST into a GET without the payload and
// may carry the key to another host). Pushing stops at once.
type EndpointError struct {
	Status   int
	URL      string
	Location string // redirect target, if any
	Method   string // "" is POST (a push); GET for a read
}

func (e *EndpointError) Error() string {
	method, why := e.Method, "bulk does not follow redirects, which could carry the system key elsewhere"
	if method == "" {
		method, why = http.MethodPost, "bulk does not follow redirects with a payload"
	}
	if e.Location != "" {
		return fmt.Sprintf("%s %s was redirected (HTTP %d) to %s: %s; if that is the LMS, use it as --base", method, e.URL, e.Status, e.Location, why)
	}
	return fmt.Sprintf("%s %s answered HTTP %d %s: check --base (the LMS root, e.g. https://host/ekp/) and --endpoint", method, e.URL, e.Status, http.StatusText(e.Status))
}

// ConnectError is returned when the LMS cannot be reached at all (name
// lookup, connection or TLS failure) even after retries. Nothing of the
// chunk was sent; pushing stops, since every later chunk would fail the same.
type ConnectError struct {
	URL string
	Err error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("could not reach the LMS at %s: %v: check --base, the network and any proxy settings", e.URL, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }
