// Package target gives a target URL (a OneFile API root, an LMS base) one
// canonical identity, so that everything keyed by the target — the live
// confirmation, ledger keys, organisation locks, nightly state, profiles —
// agrees however the user spelled it.
//
// Two spellings are the same target exactly when Canonical gives equal
// URLs: scheme and host in lower case, no trailing dot on the host, no
// default port, a clean path without a trailing slash, and "localhost"
// written as 127.0.0.1 (see Canonical for why). A URL with a user name or
// password, a query or a fragment is refused rather than guessed at: none
// of them belongs in an API root, and a password there would be copied
// into summaries and ledgers.
package target

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Errors to test with errors.Is; the errors returned say more.
var (
	// ErrInvalid: the text is not an http(s) URL with a host.
	ErrInvalid = errors.New("not a usable target URL")
	// ErrUserinfo: the URL carries a user name or password (user:pass@).
	ErrUserinfo = errors.New("target URL holds a user name or password")
	// ErrInsecureHTTP: plain http:// to a host that is not this machine,
	// without AllowInsecureHTTP.
	ErrInsecureHTTP = errors.New("plain http:// refused")
)

// Option changes what Canonical accepts.
type Option int

const (
	// AllowInsecureHTTP accepts plain http:// to a host that is not
	// loopback. The caller should warn: tokens and personal data then cross
	// the network unencrypted. URL.Insecure tells such a URL.
	AllowInsecureHTTP Option = iota + 1
)

// OneFileLiveHost is the host of OneFile's live API. Any URL on it is live,
// whatever its path, port or scheme (see URL.IsOneFileLive).
const OneFileLiveHost = "wsapi.onefile.co.uk"

// URL is a canonical target URL. The zero value is no target. URLs compare
// with ==: equal URLs are the same target.
type URL struct {
	scheme string // "http" or "https"
	host   string // lower case, no trailing dot, IPv6 without brackets
	port   string // "" for the scheme's default port
	path   string // escaped, cleaned, "" for the root
}

// Canonical parses raw and gives its canonical form, or an error that says
// what is wrong and never repeats a password the text held.
//
// "localhost" becomes 127.0.0.1. A loopback server is identified by the
// address it listens on: 127.0.0.1 and 127.0.0.2 can be two different
// servers (tests run two), so addresses are never merged; but "localhost"
// is only a name, and every usual system resolves it to 127.0.0.1 first, so
// without this step `http://localhost:8080` and `http://127.0.0.1:8080`
// would be two targets to the ledger and the organisation lock while being
// one server (issue 16, item 14: two loads at once created duplicates).
// A server that listens on ::1 only must be given as http://[::1]:PORT.
func Canonical(raw string, opts ...Option) (URL, error) {
	allowHTTP := false
	for _, o := range opts {
		if o == AllowInsecureHTTP {
			allowHTTP = true
		}
	}
	s := strings.TrimSpace(raw)
	shown := Redact(s)
	if s == "" {
		return URL{}, fmt.Errorf("%w: no URL was given", ErrInvalid)
	}
	if hasUserinfo(s) {
		return URL{}, fmt.Errorf("%w: %s: give the token or password the way the command asks for it (a file or the environment), never inside the URL, where it would be copied into reports and state files", ErrUserinfo, shown)
	}
	if strings.ContainsAny(s, "?#") {
		return URL{}, fmt.Errorf("%w: %s has a query (?) or fragment (#): give the API root only, such as https://wsapibeta.onefile.co.uk/api/v2.1", ErrInvalid, shown)
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the whole text; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return URL{}, fmt.Errorf("%w: %s: %v", ErrInvalid, shown, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "" {
		return URL{}, fmt.Errorf("%w: %s is not an http(s) URL with a host, such as https://wsapibeta.onefile.co.uk/api/v2.1", ErrInvalid, shown)
	}
	if u.User != nil { // hasUserinfo should have caught it; keep the guarantee here too
		return URL{}, fmt.Errorf("%w: %s", ErrUserinfo, shown)
	}
	host, err := canonicalHost(u.Hostname())
	if err != nil {
		return URL{}, fmt.Errorf("%w: %s: %v", ErrInvalid, shown, err)
	}
	port, err := canonicalPort(u.Scheme, u.Port())
	if err != nil {
		return URL{}, fmt.Errorf("%w: %s: %v", ErrInvalid, shown, err)
	}
	t := URL{scheme: u.Scheme, host: host, port: port, path: cleanPath(u.EscapedPath())}
	if t.Insecure() && !allowHTTP {
		return URL{}, fmt.Errorf("%w: %s would send the token and personal data unencrypted to %s, which is not this machine; use https://, or allow plain HTTP explicitly", ErrInsecureHTTP, t, host)
	}
	return t, nil
}

// MustCanonical is Canonical for constants; it panics on an error.
func MustCanonical(raw string, opts ...Option) URL {
	t, err := Canonical(raw, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// hasUserinfo reports an '@' in the authority (between "//" and the next
// '/'), checked on the text itself so that no parsing quirk lets one pass.
func hasUserinfo(s string) bool {
	i := strings.Index(s, "//")
	if i < 0 {
		return false
	}
	auth := s[i+2:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	return strings.Contains(auth, "@")
}

// Redact gives s with any user name and password in its authority replaced
// by "[redacted]", for messages about a URL a user typed.
func Redact(s string) string {
	i := strings.Index(s, "//")
	if i < 0 {
		return s
	}
	rest := s[i+2:]
	end := len(rest)
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		end = j
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	return s[:i+2] + "[redacted]" + rest[at:]
}

func canonicalHost(h string) (string, error) {
	h = strings.ToLower(h)
	h = strings.TrimSuffix(h, ".") // "host." is the same host, fully qualified
	if h == "" || strings.HasSuffix(h, ".") || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return "", errors.New("the host name is empty or malformed")
	}
	if h == "localhost" {
		return "127.0.0.1", nil
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), nil // one spelling of each address (::1, 127.0.0.1)
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return "", fmt.Errorf("the host name holds %q (give the host's ASCII name)", r)
		}
	}
	return h, nil
}

func canonicalPort(scheme, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	if scheme == "https" && n == 443 || scheme == "http" && n == 80 {
		return "", nil
	}
	return strconv.Itoa(n), nil
}

// cleanPath removes duplicate slashes, "." and ".." and the trailing slash;
// the root is "".
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	p = path.Clean("/" + p)
	if p == "/" {
		return ""
	}
	return p
}

// IsZero reports the zero URL (no target).
func (t URL) IsZero() bool { return t == URL{} }

// String is the canonical text, e.g. https://wsapi.onefile.co.uk/api/v2.1.
func (t URL) String() string {
	if t.IsZero() {
		return ""
	}
	return t.Origin() + t.path
}

// Key identifies the target in ledgers, locks, nightly state and profiles:
// two spellings of one target have the same key. It is the canonical text,
// so that a person reading a state file sees which target it is for.
func (t URL) Key() string { return t.String() }

// Origin is scheme://host[:port], the part that decides which server is
// talked to (what a redirect may not change).
func (t URL) Origin() string {
	if t.IsZero() {
		return ""
	}
	return t.scheme + "://" + hostPort(t.host, t.port)
}

// Scheme is "http" or "https".
func (t URL) Scheme() string { return t.scheme }

// Host is the host name or address, without brackets or port.
func (t URL) Host() string { return t.host }

// Port is the port, the scheme's default when none was given.
func (t URL) Port() string {
	switch {
	case t.port != "":
		return t.port
	case t.scheme == "https":
		return "443"
	case t.scheme == "http":
		return "80"
	}
	return ""
}

// Path is the cleaned, escaped path; "" for the root.
func (t URL) Path() string { return t.path }

// IsLoopback reports a target on this machine: 127.0.0.0/8 or ::1
// (localhost has become 127.0.0.1).
func (t URL) IsLoopback() bool { return isLoopbackHost(t.host) }

// Insecure reports plain http:// to a host that is not loopback; Canonical
// accepts it only with AllowInsecureHTTP, and the caller should warn.
func (t URL) Insecure() bool { return t.scheme == "http" && !t.IsLoopback() }

// IsOneFileLive reports a URL on OneFile's live API host, whatever its path
// (IIS ignores case; another version is still live data), port or scheme:
// the live confirmation must not be skipped by how the URL is spelled.
func (t URL) IsOneFileLive() bool { return t.host == OneFileLiveHost }

// MarshalText writes the canonical text (for plan and state files).
func (t URL) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a URL written by MarshalText. Plain HTTP is accepted:
// the file records a target that was allowed when it was written.
func (t *URL) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = URL{}
		return nil
	}
	u, err := Canonical(string(b), AllowInsecureHTTP)
	if err != nil {
		return err
	}
	*t = u
	return nil
}

// OriginOf is the canonical origin of any http(s) URL, query and all (for
// comparing a redirect's Location with the request it answers), or "" when u
// has no http(s) scheme and host.
func OriginOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return ""
	}
	host, err := canonicalHost(u.Hostname())
	if err != nil {
		return ""
	}
	port, err := canonicalPort(scheme, u.Port())
	if err != nil {
		return ""
	}
	return scheme + "://" + hostPort(host, port)
}

func hostPort(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

func isLoopbackHost(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
