package httpx

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a server that notes the headers of every request it gets.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

func newRecorder(t *testing.T, addr string, h http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Header.Clone())
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	r.Server = s
	return r
}

func (r *recorder) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.seen...)
}

// send makes a POST with every secret header set, through c.
func send(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-CustomerToken", "cust-secret")
	req.Header.Set("X-TokenID", "session-secret")
	req.Header.Set("X-Api-Key", "extra-secret")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth("user", "basic-secret")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRedirectToAnotherHost(t *testing.T) {
	other := newRecorder(t, "127.0.0.2:0", nil)
	first := newRecorder(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/api/v2.1/Authentication?x=1", http.StatusTemporaryRedirect)
	})

	// What Go's default policy does: the custom headers travel to the other
	// host (issue 16, item 8). This is why the policies below exist.
	send(t, &http.Client{}, first.URL+"/api/v2.1/Authentication")
	got := other.requests()
	if len(got) != 1 || got[0].Get("X-CustomerToken") != "cust-secret" {
		t.Fatalf("the default policy no longer forwards custom headers (%v): this test's premise changed", got)
	}

	for name, check := range map[string]CheckRedirect{"NoRedirects": NoRedirects, "SameOriginRedirects": SameOriginRedirects("X-Api-Key")} {
		t.Run(name, func(t *testing.T) {
			before := len(other.requests())
			resp := send(t, WithRedirects(nil, check), first.URL+"/api/v2.1/Authentication")
			if n := len(other.requests()) - before; n != 0 {
				t.Errorf("the other host got %d requests", n)
			}
			re := Redirected(resp)
			if resp.StatusCode != http.StatusTemporaryRedirect || re == nil {
				t.Fatalf("status %d, Redirected %v", resp.StatusCode, re)
			}
			if re.Location != other.URL+"/api/v2.1/Authentication" || !errors.Is(re, ErrRedirect) {
				t.Errorf("Location %q", re.Location)
			}
			if msg := re.Error(); !strings.Contains(msg, "HTTP 307") || !strings.Contains(msg, other.URL) || strings.Contains(msg, "x=1") {
				t.Errorf("message %q", msg)
			}
		})
	}
}

func TestSameOriginRedirectDropsSecrets(t *testing.T) {
	srv := newRecorder(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			// The same server spelled another way is still the same origin.
			to := strings.Replace("http://"+r.Host+"/new", "127.0.0.1", "LOCALHOST", 1)
			http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		}
	})
	resp := send(t, WithRedirects(nil, SameOriginRedirects("X-Api-Key")), srv.URL+"/old")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := srv.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want the original and the redirect", len(got))
	}
	for _, h := range []string{"X-CustomerToken", "X-TokenID", "X-Api-Key", "Authorization"} {
		if got[0].Get(h) == "" {
			t.Errorf("the first request lacks %s", h)
		}
		if got[1].Get(h) != "" {
			t.Errorf("the redirect carried %s", h)
		}
	}
	if got[1].Get("Accept") != "application/json" {
		t.Error("the redirect lost an ordinary header")
	}
}

func TestRedirectLoopStops(t *testing.T) {
	srv := newRecorder(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	c := WithRedirects(nil, SameOriginRedirects())
	resp, err := c.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a redirect loop ended without an error")
	}
	if n := len(srv.requests()); n != maxRedirects {
		t.Errorf("%d requests, want %d", n, maxRedirects)
	}
}

func TestWithRedirectsCopies(t *testing.T) {
	orig := &http.Client{Transport: &http.Transport{}}
	c := WithRedirects(orig, NoRedirects)
	if orig.CheckRedirect != nil || c.CheckRedirect == nil || c.Transport != orig.Transport {
		t.Error("WithRedirects changed its argument or lost its transport")
	}
}

func TestRedirected(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://a.example/api/v2.1/User", nil)
	tests := []struct {
		status   int
		location string
		want     string // "" with nil: not a redirect
		isNil    bool
	}{
		{200, "", "", true},
		{404, "https://b.example", "", true},
		{301, "https://u:p@b.example:8443/x?token=abc#f", "https://b.example:8443/x", false},
		{302, "/login", "https://a.example/login", false},
		{308, "", "", false},
		{307, "%zz", "an unreadable address", false},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Request: req}
		if tt.location != "" {
			resp.Header.Set("Location", tt.location)
		}
		re := Redirected(resp)
		if (re == nil) != tt.isNil || re != nil && re.Location != tt.want {
			t.Errorf("%d %q: %+v", tt.status, tt.location, re)
		}
		if re != nil && (strings.Contains(re.Error(), "abc") || strings.Contains(re.Error(), "u:p")) {
			t.Errorf("message %q holds a secret", re.Error())
		}
	}
}
