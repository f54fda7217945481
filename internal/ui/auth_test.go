package ui

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAddUser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.txt")
	tests := []struct {
		name, user, password string
		ok                   bool
	}{
		{"first user", "jdoe", "correct horse battery", true},
		{"second user", "asmith", "another long password", true},
		{"password changed", "jdoe", "a new long password!", true},
		{"short password", "bob", "short", false},
		{"colon in name", "a:b", "correct horse battery", false},
		{"space in name", "a b", "correct horse battery", false},
	}
	for _, tt := range tests {
		if err := AddUser(path, tt.user, tt.password); (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	users, err := readAuthFile(path)
	if err != nil || len(users) != 2 {
		t.Fatalf("users %v, %v; want jdoe and asmith once each", users, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("auth file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "battery") {
		t.Error("the auth file holds a password")
	}
}

// TestSignInWithPassword: with an auth file, a page without a session goes to /login; a wrong
// password signs nobody in, the right one does.
func TestSignInWithPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.txt")
	if err := AddUser(path, "jdoe", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, Options{AuthFile: path, LedgerPath: filepath.Join(t.TempDir(), "l.db"), NightlyState: filepath.Join(t.TempDir(), "n.db")})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := c.Get(ts.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Fatalf("without a session: ended at %s, want /login", resp.Request.URL)
	}
	login := func(pass string) int {
		req, _ := http.NewRequest(http.MethodPost, ts.base+"/login", strings.NewReader(url.Values{"name": {"jdoe"}, "password": {pass}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", ts.base)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		st, err := c.Get(ts.base + "/api/state")
		if err != nil {
			t.Fatal(err)
		}
		st.Body.Close()
		return st.StatusCode
	}
	if code := login("wrong password here"); code != http.StatusUnauthorized {
		t.Errorf("after a wrong password: /api/state %d, want 401", code)
	}
	if code := login("correct horse battery"); code != http.StatusOK {
		t.Errorf("after the right password: /api/state %d, want 200", code)
	}
}

// TestRemoteAddress: an address other machines reach needs an auth file, and a named one.
func TestRemoteAddress(t *testing.T) {
	var ip net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("this machine has no address other than loopback")
	}
	users := filepath.Join(t.TempDir(), "users.txt")
	if err := AddUser(users, "jdoe", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"no auth file", Options{Addr: ip.String() + ":0"}, false},
		{"auth file", Options{Addr: ip.String() + ":0", AuthFile: users}, true},
		{"every address, no name", Options{Addr: "0.0.0.0:0", AuthFile: users}, false},
		{"every address behind a proxy", Options{Addr: "0.0.0.0:0", AuthFile: users, PublicURL: "https://bulk.example.ac.uk"}, true},
		{"proxy without TLS", Options{Addr: ip.String() + ":0", AuthFile: users, PublicURL: "http://bulk.example.ac.uk"}, false},
	}
	for _, tt := range tests {
		s, err := New(tt.o)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := s.Listen()
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
		if ln != nil {
			ln.Close()
		}
		s.Close()
	}
}

// TestCookieSecureBehindTLS: behind a TLS proxy (--public-url https://...) the session cookie is
// marked Secure, so a browser never sends it over plain HTTP (the direct address on the
// network, or a link someone typed with http://), where anyone on the way could read it.
// On loopback there is no TLS and the cookie cannot be Secure.
func TestCookieSecureBehindTLS(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.txt")
	if err := AddUser(users, "jdoe", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		o      Options
		host   string // the Host and Origin the browser sends
		scheme string
		secure bool
	}{
		{"behind a TLS proxy", Options{Addr: "127.0.0.1:0", AuthFile: users, PublicURL: "https://bulk.example.ac.uk"}, "bulk.example.ac.uk", "https", true},
		{"on this machine", Options{Addr: "127.0.0.1:0", AuthFile: users}, "", "http", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ln, err := s.Listen()
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			host := tt.host
			if host == "" {
				host = ln.Addr().String()
			}
			check := func(what string, req *http.Request) {
				req.Host = host
				req.Header.Set("Origin", tt.scheme+"://"+host)
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				var got *http.Cookie
				for _, c := range rec.Result().Cookies() {
					if c.Name == cookieName {
						got = c
					}
				}
				if got == nil {
					t.Fatalf("%s: no session cookie (%d %s)", what, rec.Code, rec.Body)
				}
				if got.Secure != tt.secure || !got.HttpOnly || got.SameSite != http.SameSiteStrictMode {
					t.Errorf("%s: cookie Secure=%v HttpOnly=%v SameSite=%v, want Secure=%v, HttpOnly, Strict", what, got.Secure, got.HttpOnly, got.SameSite, tt.secure)
				}
			}
			login, _ := http.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"name": {"jdoe"}, "password": {"correct horse battery"}}.Encode()))
			login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			check("signing in", login)
			token, _ := http.NewRequest(http.MethodGet, "/?token="+s.Token(), nil)
			check("the one-time token", token)
		})
	}
}
