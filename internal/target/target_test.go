package target

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalSpellings(t *testing.T) {
	const live = "https://wsapi.onefile.co.uk/api/v2.1"
	tests := []struct {
		in, want string
	}{
		// Issue 16 item 9: each of these skipped the live confirmation.
		{"https://wsapi.onefile.co.uk/api/v2.1", live},
		{"https://wsapi.onefile.co.uk:443/api/v2.1", live},
		{"https://wsapi.onefile.co.uk./api/v2.1", live},
		{"HTTPS://WSAPI.onefile.co.uk.:443/api/v2.1/", live},
		{"https://WSAPI.ONEFILE.CO.UK/api/v2.1", live},
		{"  https://wsapi.onefile.co.uk/api/v2.1/  ", live},
		{"https://wsapi.onefile.co.uk//api//v2.1//", live},
		{"https://wsapi.onefile.co.uk/api/./v2.1", live},
		{"https://wsapi.onefile.co.uk/api/x/../v2.1", live},
		{"https://wsapi.onefile.co.uk:0443/api/v2.1", live},
		// Issue 16 item 14: these were separate organisations to bulk.
		{"http://localhost:8080/api/v2.1", "http://127.0.0.1:8080/api/v2.1"},
		{"http://LOCALHOST.:8080/api/v2.1/", "http://127.0.0.1:8080/api/v2.1"},
		{"http://127.0.0.1:8080/api/v2.1", "http://127.0.0.1:8080/api/v2.1"},
		{"http://127.0.0.1:80/api/v2.1", "http://127.0.0.1/api/v2.1"},
		{"http://127.0.0.1", "http://127.0.0.1"},
		{"http://127.0.0.1/", "http://127.0.0.1"},
		{"http://127.0.0.1:", "http://127.0.0.1"},
		{"http://[::1]:9000/x", "http://[::1]:9000/x"},
		{"http://[0:0:0:0:0:0:0:1]:9000/x/", "http://[::1]:9000/x"},
		{"http://127.0.0.2:9000", "http://127.0.0.2:9000"},
		// The default port belongs to the scheme: 80 on https is not dropped.
		{"https://lms.example.org:80/", "https://lms.example.org:80"},
		{"https://lms.example.org:8443/path", "https://lms.example.org:8443/path"},
		// Path case is kept (it is the server's to decide); escapes are kept.
		{"https://lms.example.org/Content%20Handler/", "https://lms.example.org/Content%20Handler"},
		{"https://lms.example.org/..", "https://lms.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tt.in, err)
			}
			if got.String() != tt.want || got.Key() != tt.want {
				t.Errorf("Canonical(%q) = %q (key %q), want %q", tt.in, got, got.Key(), tt.want)
			}
			again, err := Canonical(got.String())
			if err != nil || again != got {
				t.Errorf("canonical form %q is not a fixed point: %v, %v", got, again, err)
			}
		})
	}
}

func TestSameTarget(t *testing.T) {
	same := [][2]string{
		{"http://127.0.0.1:8080", "http://localhost:8080/"},
		{"http://host.example:80", "http://host.example"},
		{"https://host.example/api/", "https://host.example/api"},
	}
	differ := [][2]string{
		{"http://127.0.0.1:8080", "http://127.0.0.2:8080"}, // two loopback servers
		{"http://127.0.0.1:8080", "http://[::1]:8080"},
		{"http://127.0.0.1:8080", "https://127.0.0.1:8080"},
		{"https://h.example/api/v2.1", "https://h.example/api/v2.2"},
	}
	for _, p := range same {
		a, b := MustCanonical(p[0], AllowInsecureHTTP), MustCanonical(p[1], AllowInsecureHTTP)
		if a != b || a.Key() != b.Key() {
			t.Errorf("%s and %s: %q and %q, want one target", p[0], p[1], a, b)
		}
	}
	for _, p := range differ {
		a, b := MustCanonical(p[0], AllowInsecureHTTP), MustCanonical(p[1], AllowInsecureHTTP)
		if a == b || a.Key() == b.Key() {
			t.Errorf("%s and %s: both %q, want two targets", p[0], p[1], a)
		}
	}
}

func TestCanonicalRefuses(t *testing.T) {
	tests := []struct {
		in      string
		is      error
		mention string // the message says this
	}{
		{"", ErrInvalid, "no URL"},
		{"wsapi.onefile.co.uk/api/v2.1", ErrInvalid, "not an http(s) URL"},
		{"ftp://wsapi.onefile.co.uk/", ErrInvalid, "not an http(s) URL"},
		{"https:///api/v2.1", ErrInvalid, "not an http(s) URL"},
		{"https:wsapi.onefile.co.uk", ErrInvalid, "not an http(s) URL"},
		{"https://wsapi.onefile.co.uk/api/v2.1?org=1", ErrInvalid, "query"},
		{"https://wsapi.onefile.co.uk/api/v2.1?", ErrInvalid, "query"},
		{"https://wsapi.onefile.co.uk/api/v2.1#x", ErrInvalid, "fragment"},
		{"https://wsapi.onefile.co.uk:99999/", ErrInvalid, "port"},
		{"https://wsapi.onefile.co.uk:0/", ErrInvalid, "port"},
		{"https://wsapi..onefile.co.uk/", ErrInvalid, "malformed"},
		{"https://wsapi.onefile.co.uk../", ErrInvalid, "malformed"},
		{"https://wsäpi.onefile.co.uk/", ErrInvalid, "ASCII"},
		// Issue 16 item 10: userinfo is refused, and never repeated.
		{"https://admin:S3cr3t-pa55@wsapi.onefile.co.uk/api/v2.1", ErrUserinfo, "[redacted]@wsapi.onefile.co.uk"},
		{"https://S3cr3t-pa55@wsapi.onefile.co.uk/api/v2.1", ErrUserinfo, "never inside the URL"},
		{"https://admin:S3cr3t-pa55@wsapi.onefile.co.uk:bad/", ErrUserinfo, "[redacted]"},
		{"https://admin:S3cr3t%40pa55@wsapi.onefile.co.uk/", ErrUserinfo, "[redacted]"},
		// Issue 16 item 11: plain HTTP leaves this machine only when allowed.
		{"http://wsapi.onefile.co.uk/api/v2.1", ErrInsecureHTTP, "unencrypted"},
		{"http://10.0.0.5:8080/", ErrInsecureHTTP, "10.0.0.5"},
		{"http://foo.localhost:8080/", ErrInsecureHTTP, "foo.localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err == nil {
				t.Fatalf("Canonical(%q) = %q, want an error", tt.in, got)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q does not match %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not say %q", err, tt.mention)
			}
			for _, secret := range []string{"S3cr3t", "pa55"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats the password", err)
				}
			}
		})
	}
}

func TestInsecureHTTPAllowed(t *testing.T) {
	u, err := Canonical("HTTP://LMS.Example.org:80/Content/", AllowInsecureHTTP)
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "http://lms.example.org/Content" || !u.Insecure() || u.IsLoopback() {
		t.Errorf("got %q insecure=%v loopback=%v", u, u.Insecure(), u.IsLoopback())
	}
	for _, in := range []string{"http://localhost:1", "http://127.0.0.1:1", "http://127.9.8.7:1", "http://[::1]:1"} {
		u, err := Canonical(in) // loopback needs no option
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !u.IsLoopback() || u.Insecure() {
			t.Errorf("%s: loopback=%v insecure=%v", in, u.IsLoopback(), u.Insecure())
		}
	}
	// Userinfo is refused even when plain HTTP is allowed.
	if _, err := Canonical("http://u:p@lms.example.org/", AllowInsecureHTTP); !errors.Is(err, ErrUserinfo) {
		t.Errorf("userinfo with AllowInsecureHTTP: %v", err)
	}
}

func TestIsOneFileLive(t *testing.T) {
	tests := []struct {
		in   string
		live bool
	}{
		{"https://wsapi.onefile.co.uk/api/v2.1", true},
		{"HTTPS://WSAPI.onefile.co.uk.:443/api/v2.1/", true},
		{"https://wsapi.onefile.co.uk:8443/api/v2.1", true},
		{"https://wsapi.onefile.co.uk/API/V2.1", true},
		{"https://wsapi.onefile.co.uk/api/v2.2", true},
		{"https://wsapibeta.onefile.co.uk/api/v2.1", false},
		{"https://wsapi2.onefile.co.uk/api/v2.1", false},
		{"https://wsapi.onefile.co.uk.evil.example/api/v2.1", false},
		{"http://127.0.0.1:8080/api/v2.1", false},
	}
	for _, tt := range tests {
		u := MustCanonical(tt.in, AllowInsecureHTTP)
		if u.IsOneFileLive() != tt.live {
			t.Errorf("%s: IsOneFileLive = %v, want %v", tt.in, !tt.live, tt.live)
		}
	}
}

func TestAccessors(t *testing.T) {
	u := MustCanonical("https://LMS.example.org./a//b/")
	if u.Scheme() != "https" || u.Host() != "lms.example.org" || u.Port() != "443" || u.Path() != "/a/b" || u.Origin() != "https://lms.example.org" {
		t.Errorf("accessors of %q: %q %q %q %q %q", u, u.Scheme(), u.Host(), u.Port(), u.Path(), u.Origin())
	}
	v := MustCanonical("http://[::1]:8080")
	if v.Host() != "::1" || v.Port() != "8080" || v.Origin() != "http://[::1]:8080" {
		t.Errorf("accessors of %q: %q %q %q", v, v.Host(), v.Port(), v.Origin())
	}
	var zero URL
	if !zero.IsZero() || zero.String() != "" || zero.IsOneFileLive() {
		t.Errorf("zero URL: %q", zero)
	}
}

func TestText(t *testing.T) {
	type rec struct {
		Target URL `json:"target"`
	}
	in := rec{MustCanonical("HTTP://localhost:8080/api/v2.1/")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"target":"http://127.0.0.1:8080/api/v2.1"}` {
		t.Errorf("JSON: %s", b)
	}
	var out rec
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip: %v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"target":"https://u:p@h.example"}`), &out); !errors.Is(err, ErrUserinfo) {
		t.Errorf("unmarshal of userinfo: %v", err)
	}
}

func TestOriginOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://WSAPI.onefile.co.uk.:443/x?y=1#z", "https://wsapi.onefile.co.uk"},
		{"http://localhost:80/", "http://127.0.0.1"},
		{"http://127.0.0.2:8080/a", "http://127.0.0.2:8080"},
		{"/relative", ""},
		{"mailto:x@example.org", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := OriginOf(u); got != tt.want {
			t.Errorf("OriginOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if OriginOf(nil) != "" {
		t.Error("OriginOf(nil) is not empty")
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://a:b@h/x@y", "https://[redacted]@h/x@y"},
		{"https://h/x@y", "https://h/x@y"},
		{"no scheme", "no scheme"},
		{"https://a@b@h", "https://[redacted]@h"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
