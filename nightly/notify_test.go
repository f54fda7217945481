package nightly

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/httpx"
)

// hook is a webhook receiver on loopback: it answers the first fail requests with 503, then 204,
// and keeps every body it was sent.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	fail   int
}

func newHook(t *testing.T, fail int) *hook {
	t.Helper()
	h := &hook{fail: fail}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		h.bodies = append(h.bodies, b)
		if len(h.bodies) <= h.fail {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) got() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

// smtpServer is a tiny SMTP server on loopback, enough for net/smtp: EHLO, AUTH PLAIN, MAIL,
// RCPT, DATA, QUIT. It keeps each message and the credentials it was given.
type smtpServer struct {
	addr  string
	tls   *tls.Config // offer STARTTLS with it (nil: plain only)
	tlsOn []bool      // per message: whether it came over TLS
	mu    sync.Mutex
	mails []string
	auths []string
	rcpts []string
}

func newSMTPServer(t *testing.T, conf *tls.Config) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{addr: ln.Addr().String(), tls: conf}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { fmt.Fprintf(c, "%s\r\n", l) }
	secure := false
	say("220 test.local ESMTP")
	for range 100 { // a notification takes a handful of commands
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(cmd, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-test.local")
			if s.tls != nil && !secure {
				say("250-STARTTLS")
			}
			say("250 AUTH PLAIN")
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
		case "AUTH":
			f := strings.Fields(cmd)
			b, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			s.mu.Lock()
			s.auths = append(s.auths, string(b))
			s.mu.Unlock()
			say("235 2.7.0 accepted")
		case "MAIL":
			say("250 ok")
		case "RCPT":
			s.mu.Lock()
			s.rcpts = append(s.rcpts, cmd)
			s.mu.Unlock()
			say("250 ok")
		case "DATA":
			say("354 go on")
			var msg strings.Builder
			for range 10000 {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.mails = append(s.mails, msg.String())
			s.tlsOn = append(s.tlsOn, secure)
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not here")
		}
	}
}

func (s *smtpServer) got() (mails, auths, rcpts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mails...), append([]string(nil), s.auths...), append([]string(nil), s.rcpts...)
}

// fastWebhook makes webhook retries quick for one test.
func fastWebhook(t *testing.T) {
	t.Helper()
	old := webhookPolicy
	webhookPolicy = httpx.Policy{MaxAttempts: 3, Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond}
	t.Cleanup(func() { webhookPolicy = old })
}

// People whose names and addresses must never leave in a notification.
const (
	usersHeader = "Role,Forename,Surname,Email,MIS ID\n"
	zebedee     = "Assessor,Zebedee,Quixfarnsworth,zebedee.quix@personal.example,ZQ-7781"
	philippa    = "Assessor,Philippa,Wobblethwaite,pip.wobble@personal.example,PW-9932"
	badRow      = "Assessor,Ottoline,Brackenbury,not-an-address,OB-4410"
)

var personal = []string{"Zebedee", "Quixfarnsworth", "zebedee.quix", "personal.example", "ZQ-7781",
	"Philippa", "Wobblethwaite", "pip.wobble", "PW-9932", "Ottoline", "Brackenbury", "OB-4410"}

// usersFixture is a validate job on OneFile users with the given notify section and thresholds.
func usersFixture(t *testing.T, extra string) *runnerFixture {
	t.Helper()
	f := newRunnerFixture(t, "")
	job := fmt.Sprintf("name: staff-nightly\ninputs: {folder: in, settle: 1s}\nkind: onefile-users\nstate: %s\ntarget: {type: validate}\n%s", f.state, extra)
	writeFile(t, f.job, job)
	return f
}

func (f *runnerFixture) dropUsers(rows ...string) {
	f.t.Helper()
	f.drops++
	p := filepath.Join(f.in, fmt.Sprintf("staff-%d.csv", f.drops))
	writeFile(f.t, p, usersHeader+strings.Join(rows, "\n")+"\n")
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		f.t.Fatal(err)
	}
}

// TestNotifyHeld: a held run POSTs its JSON to the webhook (after a 503, retried) and mails the
// same content; both say the job, run, status, counts, approve command and report, and neither
// holds a name, an e-mail address or an ID of the people in the file.
func TestNotifyHeld(t *testing.T) {
	fastWebhook(t)
	h := newHook(t, 1)
	m := newSMTPServer(t, nil)
	host, port, _ := net.SplitHostPort(m.addr)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "smtp-password")
	writeFile(t, pwFile, "s3cret-smtp\n")
	f := usersFixture(t, fmt.Sprintf(`thresholds: {max_new: 1}
notify:
  webhook: %s/hooks/T0SECRETPATH
  email: {host: %s, port: %s, starttls: false, from: 'bulk <bulk@college.example>', to: [ops@college.example, it@college.example], password_file: %s}
`, h.URL, host, port, pwFile))
	f.dropUsers(zebedee, philippa)
	if k := f.run(RunOptions{}); k != app.Held {
		t.Fatalf("2 new rows against max_new 1: %v, want held\n%s", k, f.logbuf.String())
	}
	runs := f.runs()
	if len(runs) != 1 {
		t.Fatalf("history %+v", runs)
	}
	bodies := h.got()
	if len(bodies) != 2 {
		t.Fatalf("webhook got %d POSTs, want 2 (a 503, then the retry)\n%s", len(bodies), f.logbuf.String())
	}
	var e Event
	if err := json.Unmarshal(bodies[1], &e); err != nil {
		t.Fatalf("webhook body is not JSON: %v\n%s", err, bodies[1])
	}
	wantApprove := "bulk approve " + f.job + " " + runs[0].ID
	if e.Job != "staff-nightly" || e.RunID != runs[0].ID || e.Status != "held" || e.Counts.New != 2 || e.Counts.Read != 2 ||
		e.Approve != wantApprove || e.Report != runs[0].Report || len(e.HeldBecause) != 1 || !strings.Contains(e.HeldBecause[0], "2 rows are new") {
		t.Errorf("webhook event %+v", e)
	}
	mails, auths, rcpts := m.got()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1\n%s", len(mails), f.logbuf.String())
	}
	mail := mails[0]
	for _, want := range []string{"Subject: bulk: staff-nightly held (run " + runs[0].ID + ")", "To: <ops@college.example>, <it@college.example>",
		"staff-nightly: 2 new, 0 changed, 0 rejected; held", wantApprove, runs[0].Report, "Rows:      2 read, 2 valid, 0 rejected"} {
		if !strings.Contains(mail, want) {
			t.Errorf("the mail lacks %q:\n%s", want, mail)
		}
	}
	if len(rcpts) != 2 || len(auths) != 1 || auths[0] != "\x00bulk@college.example\x00s3cret-smtp" {
		t.Errorf("recipients %q, auth %q", rcpts, auths)
	}
	for _, p := range personal {
		for what, text := range map[string]string{"webhook body": string(bodies[1]), "mail": mail} {
			if strings.Contains(text, p) {
				t.Errorf("the %s holds %q, personal data:\n%s", what, p, text)
			}
		}
	}
	log := f.logbuf.String()
	if strings.Contains(log, "T0SECRETPATH") || strings.Contains(log, "s3cret-smtp") {
		t.Errorf("the log holds the webhook's path or the SMTP password:\n%s", log)
	}
	if !strings.Contains(log, `msg="staff-nightly: 2 new, 0 changed, 0 rejected; held, nothing sent`) {
		t.Errorf("the log does not end the run with its human line:\n%s", log)
	}
}

// TestNotifyOn: with the default statuses a clean run tells nobody and a failed one tells; on:
// [done] tells of a clean run, and every run's log ends with its one line.
func TestNotifyOn(t *testing.T) {
	fastWebhook(t)
	tests := []struct {
		name, on string
		rows     []string
		want     app.Kind
		status   string // "" when nothing is posted
		line     string
	}{
		{"done, default", "", []string{zebedee}, app.OK, "", "staff-nightly: 1 new, 0 changed, 0 rejected; sent 0 in "},
		{"failed, default", "", []string{zebedee, badRow}, app.Rejected, "failed", "staff-nightly: 1 new, 0 changed, 1 rejected; failed"},
		{"done, on done", "  on: [done]\n", []string{zebedee, philippa}, app.OK, "done", "staff-nightly: 2 new, 0 changed, 0 rejected; sent 0 in "},
		{"failed, on done", "  on: [done]\n", []string{badRow}, app.Rejected, "", "0 new, 0 changed, 1 rejected; failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, 0)
			f := usersFixture(t, fmt.Sprintf("notify:\n  webhook: %s/hook\n%s", h.URL, tt.on))
			f.dropUsers(tt.rows...)
			if k := f.run(RunOptions{}); k != tt.want {
				t.Fatalf("run: %v, want %v\n%s", k, tt.want, f.logbuf.String())
			}
			bodies := h.got()
			switch {
			case tt.status == "" && len(bodies) != 0:
				t.Errorf("posted %s, want nothing", bodies)
			case tt.status != "":
				var e Event
				if len(bodies) != 1 || json.Unmarshal(bodies[0], &e) != nil || e.Status != tt.status || e.Approve != "" {
					t.Errorf("posted %s, want one event of status %s", bodies, tt.status)
				}
			}
			if !strings.Contains(f.logbuf.String(), tt.line) {
				t.Errorf("the log lacks %q:\n%s", tt.line, f.logbuf.String())
			}
		})
	}
}

// TestNotifyUndelivered: a receiver that keeps failing is tried webhookPolicy's attempts, then
// the failure is logged (without the URL's path), and the run ends as it would have.
func TestNotifyUndelivered(t *testing.T) {
	fastWebhook(t)
	h := newHook(t, 1000)
	// A mail server that is not there: the port of a listener closed at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	f := usersFixture(t, fmt.Sprintf("notify:\n  webhook: %s/hooks/T0SECRETPATH\n  email: {host: 127.0.0.1, port: %s, starttls: false, from: bulk@college.example, to: ops@college.example}\n", h.URL, port))
	f.dropUsers(badRow)
	if k := f.run(RunOptions{}); k != app.Rejected {
		t.Fatalf("run: %v, want rejected\n%s", k, f.logbuf.String())
	}
	if n := len(h.got()); n != webhookPolicy.MaxAttempts {
		t.Errorf("%d attempts, want %d", n, webhookPolicy.MaxAttempts)
	}
	log := f.logbuf.String()
	if strings.Count(log, "notification not delivered") != 2 || !strings.Contains(log, "503 Service Unavailable (after 3 attempts)") ||
		!strings.Contains(log, "cannot reach the mail server") {
		t.Errorf("the log does not say both notifications failed:\n%s", log)
	}
	if strings.Contains(log, "T0SECRETPATH") {
		t.Errorf("the log holds the webhook's path:\n%s", log)
	}
	if runs := f.runs(); len(runs) != 1 || runs[0].Status != "failed" {
		t.Errorf("history %+v", runs)
	}
}

// TestNotifyApproved: approving a held run tells the receivers how the approved run ended.
func TestNotifyApproved(t *testing.T) {
	fastWebhook(t)
	h := newHook(t, 0)
	f := usersFixture(t, fmt.Sprintf("thresholds: {max_new: 1}\nnotify:\n  webhook: %s/hook\n  on: [held, done]\n", h.URL))
	f.dropUsers(zebedee, philippa)
	if k := f.run(RunOptions{}); k != app.Held {
		t.Fatalf("run: %v\n%s", k, f.logbuf.String())
	}
	held := f.runs()[0].ID
	if err := Approve(context.Background(), f.deps(), f.log(), ApproveOptions{Job: f.job, RunID: held, Yes: true}); err != nil {
		t.Fatalf("approve: %v\n%s", err, f.logbuf.String())
	}
	bodies := h.got()
	if len(bodies) != 2 {
		t.Fatalf("posted %d events, want held then done", len(bodies))
	}
	var e Event
	if err := json.Unmarshal(bodies[1], &e); err != nil || e.Status != "done" || e.Counts.Read != 2 || e.RunID == held {
		t.Errorf("after approval: %v %+v", err, e)
	}
}

// TestNotifyCheck: bulk run --check finds what is wrong in a notify section, and never repeats a
// password a webhook URL held.
func TestNotifyCheck(t *testing.T) {
	tests := []struct {
		name, notify string
		want         []string // none: the job loads
	}{
		{"webhook", "notify: {webhook: 'https://hooks.example.ac.uk/bulk'}\n", nil},
		{"loopback http", "notify: {webhook: 'http://127.0.0.1:9/x', on: [done, HELD]}\n", nil},
		{"plain http allowed", "notify: {webhook: 'http://hooks.example.ac.uk/x', allow_insecure_http: true}\n", nil},
		{"email", "notify: {email: {host: smtp.example.ac.uk, from: bulk@example.ac.uk, to: ops@example.ac.uk}}\n", nil},
		{"empty", "notify: {on: [held]}\n", []string{"name a webhook"}},
		{"plain http", "notify: {webhook: 'http://hooks.example.ac.uk/x'}\n", []string{"notify.webhook: plain http:// to hooks.example.ac.uk", "allow_insecure_http: true"}},
		{"userinfo", "notify: {webhook: 'https://alice:hunter2@hooks.example.ac.uk/x'}\n", []string{"notify.webhook", "user name or password"}},
		{"not a URL", "notify: {webhook: 'hooks dot example'}\n", []string{"notify.webhook: not an http(s) URL"}},
		{"query", "notify: {webhook: 'https://h.example/x?sig=hunter2'}\n", []string{"notify.webhook: the URL has a query"}},
		{"unknown status", "notify: {webhook: 'https://h.example/x', on: [done, exploded]}\n", []string{`notify.on "exploded"`}},
		{"email missing fields", "notify: {email: {port: 70000}}\n", []string{"notify.email.host is missing", "notify.email.port 70000", "notify.email.from is missing", "notify.email.to is missing"}},
		{"email bad addresses", "notify: {email: {host: h.example, from: 'no address', to: [ok@example.ac.uk, 'also none']}}\n", []string{`notify.email.from "no address"`, `notify.email.to "also none"`}},
		{"email unencrypted", "notify: {email: {host: smtp.example.ac.uk, starttls: false, from: a@b.example, to: c@d.example}}\n", []string{"starttls is off for smtp.example.ac.uk"}},
		{"email password sources", "notify: {email: {host: h.example, from: a@b.example, to: c@d.example, password_file: nofile, user: u}}\n", []string{"password_file", "cannot be read"}},
		{"email password env unset", "notify: {email: {host: h.example, from: a@b.example, to: c@d.example, password_env: BULK_TEST_UNSET_SMTP}}\n", []string{"BULK_TEST_UNSET_SMTP, which is not set"}},
		{"email user without password", "notify: {email: {host: h.example, from: a@b.example, to: c@d.example, user: u}}\n", []string{"user is set without a password"}},
		{"password in the job file", "notify: {email: {host: h.example, from: a@b.example, to: c@d.example, password: hunter2}}\n", []string{"secrets are never kept in a job file", "password_file"}},
		{"unknown setting", "notify: {webhook: 'https://h.example/x', hook: y}\n", []string{`"hook" is not a setting under notify`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "in"), 0o755)
			p := filepath.Join(dir, "job.yaml")
			writeFile(t, p, "inputs: {folder: in}\n"+tt.notify)
			_, err := Load(p)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded; want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "/x") {
				t.Errorf("the error repeats the password: %v", err)
			}
		})
	}
}

// loopbackCert is a self-signed certificate for 127.0.0.1 and a pool that trusts it.
func loopbackCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestNotifySTARTTLS: with starttls on (the default) the mail and the login go only over TLS,
// and a server that does not offer STARTTLS gets nothing: the failure is logged.
func TestNotifySTARTTLS(t *testing.T) {
	cert, pool := loopbackCert(t)
	old := smtpTLS
	smtpTLS = func(host string) *tls.Config {
		return &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	t.Cleanup(func() { smtpTLS = old })
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, "s3cret-smtp")
	for _, offer := range []bool{true, false} {
		t.Run(fmt.Sprintf("offered=%v", offer), func(t *testing.T) {
			var conf *tls.Config
			if offer {
				conf = &tls.Config{Certificates: []tls.Certificate{cert}}
			}
			m := newSMTPServer(t, conf)
			host, port, _ := net.SplitHostPort(m.addr)
			f := usersFixture(t, fmt.Sprintf("notify:\n  email: {host: %s, port: %s, from: bulk@college.example, to: ops@college.example, password_file: %s}\n", host, port, pw))
			f.dropUsers(badRow)
			if k := f.run(RunOptions{}); k != app.Rejected {
				t.Fatalf("run: %v\n%s", k, f.logbuf.String())
			}
			mails, auths, _ := m.got()
			m.mu.Lock()
			secure := append([]bool(nil), m.tlsOn...)
			m.mu.Unlock()
			if !offer {
				if len(mails) != 0 || len(auths) != 0 || !strings.Contains(f.logbuf.String(), "does not offer STARTTLS") {
					t.Errorf("without STARTTLS: %d mails, %d logins sent\n%s", len(mails), len(auths), f.logbuf.String())
				}
				return
			}
			if len(mails) != 1 || !secure[0] || len(auths) != 1 || !strings.Contains(mails[0], "Status:    failed") {
				t.Errorf("mails %q over TLS %v, logins %d\n%s", mails, secure, len(auths), f.logbuf.String())
			}
		})
	}
}

// TestNotifyCheckSays: bulk run --check says who is told of which runs, naming the webhook by
// its scheme and host only.
func TestNotifyCheckSays(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	p := filepath.Join(dir, "job.yaml")
	writeFile(t, p, "inputs: {folder: in}\nnotify: {webhook: 'https://hooks.example.ac.uk/T0SECRETPATH', email: {host: smtp.example.ac.uk, from: a@b.example, to: [c@d.example, e@f.example]}}\n")
	var out strings.Builder
	d := app.Deps{Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	if err := RunJob(context.Background(), d, nil, p, RunOptions{Check: true}); err != nil {
		t.Fatal(err)
	}
	want := "Runs that end held, failed, busy are told to the webhook at https://hooks.example.ac.uk and c@d.example, e@f.example by e-mail through smtp.example.ac.uk:587."
	if !strings.Contains(out.String(), want) || strings.Contains(out.String(), "T0SECRETPATH") {
		t.Errorf("--check says:\n%s\nwant %q", out.String(), want)
	}
}
