// Package ui is bulk's local web app ('bulk ui'): a page for data officers that uploads
// spreadsheets, shows their problems in a grid to fix, plans a OneFile load and applies it, or
// pushes to a PeopleFluent LMS, with the same use cases the command line calls (internal/app:
// Validate, LoadOnefile with DryRun, ApplyPlan; Export as a push's preview, LoadPeopleFluent).
// No rule, mapping or ledger logic lives here: the server keeps the session's files and what
// the use cases returned, and renders them as JSON for the embedded page.
//
// Security, for a server that holds personal data and a OneFile token: it listens on loopback
// only; the address it prints carries a one-time token that is exchanged for an HttpOnly,
// SameSite=Strict session cookie; every request's Host must be the server's own (a DNS-rebinding
// page cannot reach it under another name) and a request that changes anything must come from
// its own Origin (no cross-site form or fetch); bodies are size-limited; uploads live in a
// private (0700) temporary folder removed when the server stops.
package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

//go:embed assets
var assets embed.FS

// Options are bulk ui's settings.
type Options struct {
	// Addr is where to listen: "" for 127.0.0.1 on a free port. Another address than loopback
	// only with AuthFile.
	Addr string
	// AuthFile holds the users who may sign in (name:bcrypt-hash lines, 'bulk ui adduser').
	AuthFile string
	// PublicURL is the address people type when a TLS proxy is in front of bulk ui
	// (https://bulk.college.ac.uk): its host is accepted as Host and as Origin. With AuthFile.
	PublicURL string
	NoOpen    bool // do not open a browser (tests, servers)
	// Stdout gets the address to open; Stderr the server's notes.
	Stdout, Stderr io.Writer
	// Getenv reads the environment (BULK_ONEFILE_TOKEN); nil: os.Getenv.
	Getenv func(string) string
	// LedgerPath is the run ledger for loads into a real OneFile ("": bulk's default, as the
	// command line's). A load into the built-in sandbox keeps its ledger in the session folder.
	LedgerPath string
	// NightlyState is the nightly jobs' state the runs page lists ("": nightly.DefaultStatePath,
	// as 'bulk runs --nightly').
	NightlyState string
}

// Limits on what a request may carry.
const (
	maxUpload = 256 << 20 // all files of one upload together
	maxJSON   = 1 << 20
	// maxTokenFile bounds a token file chosen on the page: a customer token is a few dozen bytes.
	maxTokenFile = 64 << 10
)

const cookieName = "bulk_ui_session"

// Server is one bulk ui session: its files, validation, plan and load, shared by every tab.
type Server struct {
	o     Options
	dir   string // the private temporary folder
	token string // the one-time token in the printed address

	mu       sync.Mutex
	used     bool            // the token has been exchanged
	sessions map[string]bool // session cookies handed out
	hosts    map[string]bool // Host values this server answers to
	ws       *workspace
	changed  chan struct{} // closed and replaced on every change (server-sent events)
	version  int64

	// op serialises what changes the workspace (validate, edit, plan, start an apply): a second
	// tab's click waits for the first's to end rather than starting a second load.
	op sync.Mutex

	mux *http.ServeMux

	users     map[string][]byte // from Options.AuthFile; nil: the token only
	dummyHash []byte            // checked for unknown names, so that they take as long
	remote    bool              // listening on an address other machines reach
	stopping  chan struct{}     // closed when the server stops: event streams end at once
}

// New makes a server with its private folder. Close removes it.
func New(o Options) (*Server, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	var users map[string][]byte
	var dummy []byte
	if o.AuthFile != "" {
		var err error
		if users, err = readAuthFile(o.AuthFile); err != nil {
			return nil, err
		}
		if dummy, err = bcrypt.GenerateFromPassword([]byte(randomString()), bcryptCost); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "bulk-ui-")
	if err != nil {
		return nil, fmt.Errorf("cannot make the session's folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{o: o, dir: dir, token: randomString(), sessions: map[string]bool{}, hosts: map[string]bool{},
		changed: make(chan struct{}), users: users, dummyHash: dummy, stopping: make(chan struct{})}
	s.ws = newWorkspace(s)
	s.routes()
	return s, nil
}

// Dir is the session's private folder (uploads, working copies, reports).
func (s *Server) Dir() string { return s.dir }

// Token is the one-time token the printed address carries.
func (s *Server) Token() string { return s.token }

// Listen binds the server's address (loopback only) and returns the listener; the Host header
// must then name it.
func (s *Server) Listen() (net.Listener, error) {
	addr := s.o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: give host:port, such as 127.0.0.1:8080", addr)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		if s.users == nil {
			return nil, fmt.Errorf("--addr %q is not this machine: bulk ui serves personal data and a OneFile token, so another address needs --auth-file with the users who may sign in ('bulk ui adduser FILE NAME')", addr)
		}
		if ip != nil && ip.IsUnspecified() && s.o.PublicURL == "" {
			return nil, fmt.Errorf("--addr %q: give the address people will type (such as 10.0.0.5:8080 or bulk.college.internal:8080): requests naming another host are refused", addr)
		}
		s.remote = true
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	s.Allow(ln.Addr().String())
	if s.remote {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		s.mu.Lock()
		s.hosts[net.JoinHostPort(host, port)] = true
		s.mu.Unlock()
	}
	if s.o.PublicURL != "" {
		u, err := url.Parse(s.o.PublicURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || s.users == nil {
			ln.Close()
			return nil, fmt.Errorf("--public-url %q: give the https:// address of the TLS proxy in front of bulk ui, with --auth-file", s.o.PublicURL)
		}
		s.mu.Lock()
		s.hosts[u.Host] = true
		s.mu.Unlock()
		s.remote = true
	}
	return ln, nil
}

// Allow adds the Host values that name addr (host:port): the address itself and, for loopback,
// localhost and 127.0.0.1 with the same port.
func (s *Server) Allow(addr string) {
	_, port, _ := net.SplitHostPort(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts[addr] = true
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		s.hosts[h+":"+port] = true
	}
}

// URL is the address to open, with the one-time token.
func (s *Server) URL(ln net.Listener) string {
	return fmt.Sprintf("http://%s/?token=%s", ln.Addr(), s.token)
}

// Close ends the session: the sandbox stops and the private folder is removed.
func (s *Server) Close() error {
	s.ws.close()
	return os.RemoveAll(s.dir)
}

// Run serves bulk ui until ctx ends (Ctrl-C, SIGTERM), then stops: a load under way is
// interrupted as Ctrl-C interrupts one (recorded, resumable), and the session's folder removed.
func Run(ctx context.Context, o Options) error {
	s, err := New(o)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	url := s.URL(ln)
	if s.remote {
		fmt.Fprintf(o.Stderr, "bulk ui: serving %s to other machines, users from %s. Put TLS in front of it (a reverse proxy that keeps the Host header): otherwise passwords and personal data cross the network in clear.\n", ln.Addr(), o.AuthFile)
	}
	fmt.Fprintf(o.Stdout, "bulk ui is running. Open this address in your browser (it works once; the browser then keeps a session):\n  %s\nCtrl-C stops it.\n", url)
	if !o.NoOpen {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(o.Stderr, "bulk ui: could not open a browser (%v); open the address above yourself.\n", err)
		}
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.ws.cancelApply() // as Ctrl-C: what was sent is recorded; apply the plan again to finish
	close(s.stopping)  // open tabs' event streams end, so the server need not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.ws.waitApply(sctx)
	_ = srv.Shutdown(sctx)
	fmt.Fprintln(o.Stderr, "bulk ui stopped; its uploads and reports are removed.")
	return nil
}

func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ServeHTTP checks every request before any handler sees it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer") // the first address carries the token
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("Cache-Control", "no-store")
	s.mu.Lock()
	hostOK := s.hosts[r.Host]
	s.mu.Unlock()
	if !hostOK {
		// A page on another site whose name now points at 127.0.0.1 (DNS rebinding) arrives
		// with its own name as Host.
		http.Error(w, "bulk ui answers only to its own address", http.StatusMisdirectedRequest)
		return
	}
	if !s.sameOrigin(r) {
		http.Error(w, "bulk ui refuses requests from other sites", http.StatusForbidden)
		return
	}
	if r.URL.Path == "/" && r.URL.Query().Has("token") {
		s.exchange(w, r)
		return
	}
	if r.URL.Path == "/login" || (r.URL.Path == "/app.css" && r.Method == http.MethodGet) {
		if r.URL.Path == "/login" {
			s.handleLogin(w, r)
		} else {
			s.mux.ServeHTTP(w, r) // the sign-in page's style: no data in it
		}
		return
	}
	if !s.signedIn(r) {
		if s.users != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeError(w, http.StatusUnauthorized, "not signed in: open the address bulk ui printed when it started (it carries a one-time token)")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `<!doctype html><title>bulk ui</title><p>Not signed in. Open the address <code>bulk ui</code> printed when it started: it carries a one-time token. If it has been used already, stop bulk ui (Ctrl-C) and start it again.</p>`)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// sameOrigin refuses a request another site's page made: a request that can change anything
// must carry this server's Origin, and a browser's Sec-Fetch-Site must not say cross-site.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	// Behind a TLS proxy (remote) the page's origin is https://; on this machine, http://.
	host, ok := strings.CutPrefix(origin, "http://")
	if !ok && s.remote {
		host, ok = strings.CutPrefix(origin, "https://")
	}
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hosts[host] && host == r.Host
}

// exchange trades the one-time token for a session cookie and sends the browser on to the page
// without the token in its address bar or history.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	got := r.URL.Query().Get("token")
	s.mu.Lock()
	ok := !s.used && subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
	var sid string
	if ok {
		s.used = true
		sid = randomString()
		s.sessions[sid] = true
	}
	s.mu.Unlock()
	if !ok {
		if s.signedIn(r) {
			http.Redirect(w, r, "/", http.StatusSeeOther) // a reload of the first address
			return
		}
		http.Error(w, "this token is not valid or has been used: stop bulk ui and start it again for a new address", http.StatusUnauthorized)
		return
	}
	s.setSession(w, sid)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// setSession hands the browser its session cookie: HttpOnly (no script reads it), SameSite
// Strict (no other site's page sends it) and, behind a TLS proxy (--public-url https://),
// Secure, so that it never crosses the network in clear over the plain-HTTP address bulk ui
// also answers on.
func (s *Server) setSession(w http.ResponseWriter, sid string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: strings.HasPrefix(s.o.PublicURL, "https://")})
}

func (s *Server) signedIn(r *http.Request) bool {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[c.Value]
}

// bump tells every open event stream that the workspace changed.
func (s *Server) bump() {
	s.mu.Lock()
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	m.Handle("GET /", files)
	m.HandleFunc("GET /api/state", s.handleState)
	m.HandleFunc("GET /api/events", s.handleEvents)
	m.HandleFunc("POST /api/target", s.handleTarget)
	m.HandleFunc("POST /api/files", s.handleUpload)
	m.HandleFunc("DELETE /api/files", s.handleClear)
	m.HandleFunc("POST /api/settings", s.handleSettings)
	m.HandleFunc("GET /api/rows", s.handleRows)
	m.HandleFunc("POST /api/cell", s.handleCell)
	m.HandleFunc("GET /api/download/{what}", s.handleDownload)
	m.HandleFunc("GET /api/download/file/{name}", s.handleDownloadFile)
	m.HandleFunc("POST /api/plan", s.handlePlan)
	m.HandleFunc("GET /api/plan/rows", s.handlePlanRows)
	m.HandleFunc("POST /api/apply", s.handleApply)
	m.HandleFunc("POST /api/pf/preview", s.handlePFPreview)
	m.HandleFunc("POST /api/pf/push", s.handlePFPush)
	m.HandleFunc("POST /api/cancel", s.handleCancel)
	m.HandleFunc("GET /api/results", s.handleResults)
	m.HandleFunc("GET /api/runs", s.handleRuns)
	m.HandleFunc("GET /api/runs/nightly/{id}", s.handleHeld)
	m.HandleFunc("POST /api/runs/nightly/{id}/approve", s.handleApprove)
	s.mux = m
}

// handleEvents streams the workspace's state whenever it changes (server-sent events), so every
// tab shows the same files, plan and load, and a load's progress as it goes.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming is not supported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	keep := time.NewTicker(20 * time.Second)
	defer keep.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		b, _ := json.Marshal(s.ws.state())
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return
		}
		fl.Flush()
		// Progress comes often: at most about four updates a second reach a tab.
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case <-time.After(250 * time.Millisecond):
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case <-ch:
		case <-keep.C:
		}
	}
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.ws.state())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// readJSON decodes a request's body into v, refusing bodies over maxJSON and unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the request is too large")
		} else {
			writeError(w, http.StatusBadRequest, "the request is not what the page sends: "+err.Error())
		}
		return false
	}
	return true
}
