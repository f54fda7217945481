package peoplefluent

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/bulkload/bulk/internal/fileperm"
)

// Redacted is what a Secret prints as, whatever the verb.
const Redacted = "[redacted]"

// Secret holds the LMS system key. It prints as [redacted] through fmt (every
// verb, including %#v and %x), slog, encoding/json and encoding.TextMarshaler,
// and code outside this package cannot read it back: the only uses are to
// authenticate a request (Pusher) and to compare a candidate (Matches, for
// the sandbox receiver).
//
// The value sits behind a pointer so that even a Secret reached by reflection
// (an unexported struct field printed with %+v, where fmt cannot call
// methods) prints as an address, never as the key.
type Secret struct {
	v *string
}

// NewSecret wraps a key. Surrounding white space (a trailing newline from a
// file or a shell) is removed; an empty key gives the zero Secret.
func NewSecret(key string) Secret {
	key = strings.TrimSpace(key)
	if key == "" {
		return Secret{}
	}
	return Secret{v: &key}
}

// IsZero reports whether no key is held.
func (s Secret) IsZero() bool { return s.v == nil || *s.v == "" }

// Matches reports, in constant time for equal lengths, whether candidate is the key.
// A zero Secret matches nothing.
func (s Secret) Matches(candidate string) bool {
	if s.IsZero() {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(*s.v), []byte(candidate)) == 1
}

func (s Secret) reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// scrub replaces every copy of the key, and of the Basic credentials built
// from it, in text that came back from the network before it is saved or
// shown. An LMS or a proxy that echoes request headers in an error page must
// not put the key into the report.
func (s Secret) scrub(text, user string) string {
	if s.IsZero() {
		return text
	}
	k := s.reveal()
	text = strings.ReplaceAll(text, k, Redacted)
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + k))
	return strings.ReplaceAll(text, basic, Redacted)
}

// String implements fmt.Stringer.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v).
func (Secret) GoString() string { return Redacted }

// Format implements fmt.Formatter so that every verb (%d, %x, %q, ...) prints [redacted].
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText implements encoding.TextMarshaler (JSON, YAML, ...).
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// KeyFromEnv reads the system key from an environment variable, e.g.
// BULK_PF_SYSTEM_KEY.
func KeyFromEnv(name string) (Secret, error) {
	return KeyFromEnvFunc(name, os.Getenv)
}

// KeyFromEnvFunc is KeyFromEnv with the environment read through getenv, so
// a command can be tested with its own environment.
func KeyFromEnvFunc(name string, getenv func(string) string) (Secret, error) {
	v := getenv(name)
	if v == "" {
		return Secret{}, fmt.Errorf("the PeopleFluent system key is not set: export %s=<key>, or put the key in a file readable only by you and pass --key-file", name)
	}
	s := NewSecret(v)
	if s.IsZero() {
		return Secret{}, fmt.Errorf("%s is set but empty: set it to the LMS system key", name)
	}
	return s, nil
}

// KeyFromFile reads the system key from the first line of a file (surrounding
// white space removed). warning is non-empty when the file can be read by
// other users of the machine: the key still works, but the caller should show
// the warning.
func KeyFromFile(path string) (key Secret, warning string, err error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Secret{}, "", fmt.Errorf("system key file %s does not exist: write the LMS system key into it (one line) and run chmod 600 %s", path, path)
	case err != nil:
		return Secret{}, "", fmt.Errorf("system key file: %w", err)
	case info.IsDir():
		return Secret{}, "", fmt.Errorf("system key file %s is a directory: give the path of the file that holds the key", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, "", fmt.Errorf("system key file: %w", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	key = NewSecret(first)
	if key.IsZero() {
		return Secret{}, "", fmt.Errorf("system key file %s is empty: its first line must be the LMS system key", path)
	}
	if perm := info.Mode().Perm(); fileperm.OpenToOthers(perm) {
		warning = fmt.Sprintf("system key file %s can be read by other users (mode %#o): run chmod 600 %s", path, perm, path)
	}
	return key, warning, nil
}
