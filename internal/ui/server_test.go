package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testServer is a bulk ui server on a loopback port, as Run starts it.
type testServer struct {
	*Server
	base, url string
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	// Runs are looked for in the test's own folder, never the user's ledger or nightly state.
	dir := t.TempDir()
	return startServerWith(t, Options{LedgerPath: filepath.Join(dir, "ledger.db"), NightlyState: filepath.Join(dir, "nightly.db")})
}

func startServerWith(t testing.TB, o Options) *testServer {
	t.Helper()
	o.Getenv = func(string) string { return "" }
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if os.Getenv("BULK_UI_DEBUG") != "" {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Logf("%s %s", r.Method, r.URL.Path)
			s.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return &testServer{Server: s, base: "http://" + ln.Addr().String(), url: s.URL(ln)}
}

// signIn exchanges the one-time token for a session cookie, as the browser does.
func (ts *testServer) signIn(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	resp, err := c.Get(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.RawQuery != "" {
		t.Fatalf("signing in: %s at %s, want 200 at / without the token", resp.Status, resp.Request.URL)
	}
	return c
}

// do sends a request as the page does (its own Origin) and decodes a JSON answer into out.
func (ts *testServer) do(t testing.TB, c *http.Client, method, path string, body io.Reader, ctype string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, ts.base+path, body)
	req.Header.Set("Origin", ts.base)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (ts *testServer) postJSON(t testing.TB, c *http.Client, path string, in, out any) int {
	b, _ := json.Marshal(in)
	return ts.do(t, c, http.MethodPost, path, bytes.NewReader(b), "application/json", out)
}

func (ts *testServer) upload(t testing.TB, c *http.Client, files ...string) map[string]any {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		w, _ := mw.CreateFormFile("file", filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	mw.Close()
	var st map[string]any
	if code := ts.do(t, c, http.MethodPost, "/api/files", &body, mw.FormDataContentType(), &st); code != http.StatusOK {
		t.Fatalf("upload: %d %v", code, st["error"])
	}
	return st
}

// TestRefused: every request without the session, under a foreign Host, or sent by another
// site's page is refused, and the token works once.
func TestRefused(t *testing.T) {
	ts := startServer(t)
	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(c *http.Client, url, host, origin string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// A page that rebinds its own name to 127.0.0.1 sends its own name as Host: refused even
	// with the right token, which stays unused.
	if code := get(plain, ts.url, "evil.example:80", ""); code != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host with the token: %d, want 421", code)
	}
	for _, path := range []string{"/", "/api/state", "/app.js", "/api/download/credentials.csv"} {
		if code := get(plain, ts.base+path, "", ""); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the session: %d, want 401", path, code)
		}
	}
	if code := get(plain, ts.base+"/?token=wrong", "", ""); code != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d, want 401", code)
	}
	c := ts.signIn(t)
	if code := get(c, ts.base+"/api/state", "", ""); code != http.StatusOK {
		t.Errorf("signed in: %d, want 200", code)
	}
	if code := get(c, ts.base+"/api/state", "evil.example:"+strings.Split(ts.base, ":")[2], ""); code != http.StatusMisdirectedRequest {
		t.Errorf("signed in, foreign Host: %d, want 421", code)
	}
	// The token is spent: another browser cannot use it.
	other := ts.signInFails(t)
	if other != http.StatusUnauthorized {
		t.Errorf("the token a second time: %d, want 401", other)
	}
	// Another site's page posting with the session cookie (CSRF).
	for _, origin := range []string{"http://evil.example", "null", ""} {
		req, _ := http.NewRequest(http.MethodPost, ts.base+"/api/plan", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST from Origin %q: %d, want 403", origin, resp.StatusCode)
		}
	}
	// Size limits.
	var e map[string]any
	big := strings.Repeat("x", maxJSON+10)
	if code := ts.postJSON(t, c, "/api/settings", map[string]any{"sheet": big}, &e); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over %d bytes: %d, want 413", maxJSON, code)
	}
}

func (ts *testServer) signInFails(t *testing.T) int {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", "example.com:80", "nonsense"} {
		s, err := New(Options{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		if ln, err := s.Listen(); err == nil {
			ln.Close()
			t.Errorf("--addr %s: listened, want refused", addr)
		}
		s.Close()
	}
}

// TestFolderPrivateAndRemoved: uploads go into a folder only the user can read, gone at Close.
func TestFolderPrivateAndRemoved(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	ts.upload(t, c, "../../samples/staff.csv")
	st, err := os.Stat(ts.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("session folder mode %v, want 0700", st.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(ts.Dir(), "work", "staff.csv")); err != nil {
		t.Errorf("the upload is not in the session folder: %v", err)
	}
	ts.Close()
	if _, err := os.Stat(ts.Dir()); !os.IsNotExist(err) {
		t.Errorf("session folder still there after Close: %v", err)
	}
}

// TestTokenNeverEchoed: a token given on the page is in no answer.
func TestTokenNeverEchoed(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	const secret = "tok-8f1e2d3c-SECRET"
	var st map[string]any
	if code := ts.postJSON(t, c, "/api/target", map[string]any{"kind": "beta", "org": 5740, "token_source": "file", "token_file": secret + "\n", "token_name": "token.txt"}, &st); code != http.StatusOK {
		t.Fatalf("target: %d %v", code, st["error"])
	}
	b, _ := json.Marshal(st)
	if bytes.Contains(b, []byte(secret)) {
		t.Errorf("the state echoes the token: %s", b)
	}
	if !bytes.Contains(b, []byte("token.txt")) {
		t.Errorf("the state does not say where the token came from: %s", b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.base+"/api/events", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 4096)
	n, _ := io.ReadAtLeast(resp.Body, first, 100)
	resp.Body.Close()
	if !bytes.HasPrefix(first[:n], []byte("data: {")) || bytes.Contains(first[:n], []byte(secret)) {
		t.Errorf("event stream: %q", first[:n])
	}
}
