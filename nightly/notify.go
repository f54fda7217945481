package nightly

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bulkload/bulk/internal/httpx"
	"github.com/bulkload/bulk/internal/target"
)

// Notify says who hears of a run's end (notify: in a job file): a webhook, e-mail, or both.
// What is sent is about the run, never about the people in it: the job, the run ID, the status,
// counts, the approve command of a held run and the report's path. A held run in archive/held/
// otherwise waits until someone happens to look.
type Notify struct {
	On      []string `yaml:"on"`      // statuses that notify (default held, failed, busy)
	Webhook string   `yaml:"webhook"` // an https:// URL to POST the run's JSON to
	// AllowInsecureHTTP lets the webhook be plain http:// to a host that is not this machine.
	AllowInsecureHTTP bool   `yaml:"allow_insecure_http"`
	Email             *Email `yaml:"email"`
}

// Email is an SMTP server and the addresses a run's text goes to.
type Email struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`     // default 587
	StartTLS     *bool  `yaml:"starttls"` // default true; only a loopback server may go without
	From         string `yaml:"from"`
	To           Addrs  `yaml:"to"`
	User         string `yaml:"user"`          // default: from's address, when a password is named
	PasswordFile string `yaml:"password_file"` // the SMTP password's file (else password_env)
	PasswordEnv  string `yaml:"password_env"`
}

// Addrs is one address or a list of them.
type Addrs []string

// UnmarshalYAML reads "ops@example.ac.uk" or a list.
func (a *Addrs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*a = Addrs{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return fmt.Errorf("line %d: give an address or a list of addresses", n.Line)
	}
	*a = l
	return nil
}

// Statuses a run can end with that notifications know of.
var notifyStatuses = []string{"done", "held", "failed", "busy"}

var defaultNotifyOn = []string{"held", "failed", "busy"}

func (n *Notify) defaults(j *Job) {
	if len(n.On) == 0 {
		n.On = defaultNotifyOn
	}
	for i, s := range n.On {
		n.On[i] = strings.ToLower(strings.TrimSpace(s))
	}
	if e := n.Email; e != nil {
		e.PasswordFile = j.rel(e.PasswordFile)
		if e.StartTLS == nil {
			t := true
			e.StartTLS = &t
		}
		if e.Port == 0 {
			e.Port = 587
		}
	}
}

// receivers names where notifications go, for --check: the webhook by its origin only.
func (n *Notify) receivers() string {
	var to []string
	if u, err := n.webhookURL(); err == nil && n.Webhook != "" {
		to = append(to, "the webhook at "+u.Origin())
	}
	if e := n.Email; e != nil {
		to = append(to, strings.Join(e.To, ", ")+" by e-mail through "+net.JoinHostPort(e.Host, strconv.Itoa(e.Port)))
	}
	return strings.Join(to, " and ")
}

// wants reports whether a run that ended so notifies.
func (n *Notify) wants(status string) bool {
	for _, s := range n.On {
		if s == status {
			return true
		}
	}
	return false
}

// webhookURL is the webhook as internal/target makes it canonical: no user name or password,
// https unless the host is this machine or the job allows plain http.
func (n *Notify) webhookURL() (target.URL, error) {
	var opts []target.Option
	if n.AllowInsecureHTTP {
		opts = append(opts, target.AllowInsecureHTTP)
	}
	return target.Canonical(n.Webhook, opts...)
}

// check lists what is wrong with the notify section, as sentences.
func (n *Notify) check(getenv func(string) string) []string {
	var errs []string
	add := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if n.Webhook == "" && n.Email == nil {
		add("notify: name a webhook (notify.webhook) or an e-mail server (notify.email), or leave notify out")
	}
	for _, s := range n.On {
		known := false
		for _, k := range notifyStatuses {
			known = known || s == k
		}
		if !known {
			add("notify.on %q: use done, held, failed or busy", s)
		}
	}
	if n.Webhook != "" {
		if _, err := n.webhookURL(); err != nil {
			add("notify.webhook: %s", webhookProblem(n.Webhook, err))
		}
	}
	if e := n.Email; e != nil {
		if e.Host == "" {
			add("notify.email.host is missing: name the SMTP server")
		}
		if e.Port < 1 || e.Port > 65535 {
			add("notify.email.port %d is not a port", e.Port)
		}
		if e.From == "" {
			add("notify.email.from is missing: the address the mail comes from")
		} else if _, err := mail.ParseAddress(e.From); err != nil {
			add("notify.email.from %q is not an e-mail address", e.From)
		}
		if len(e.To) == 0 {
			add("notify.email.to is missing: the address (or list) the mail goes to")
		}
		for _, a := range e.To {
			if _, err := mail.ParseAddress(a); err != nil {
				add("notify.email.to %q is not an e-mail address", a)
			}
		}
		if !*e.StartTLS && e.Host != "" && !isLoopbackName(e.Host) {
			add("notify.email.starttls is off for %s, which is not this machine: the password and the mail would cross the network unencrypted", e.Host)
		}
		if e.PasswordFile != "" {
			if _, err := os.Stat(e.PasswordFile); err != nil {
				add("notify.email.password_file %s cannot be read", e.PasswordFile)
			}
		}
		if e.PasswordEnv != "" && e.PasswordFile == "" && getenv(e.PasswordEnv) == "" {
			add("notify.email.password_env names %s, which is not set in this environment", e.PasswordEnv)
		}
		if e.User != "" && e.PasswordFile == "" && e.PasswordEnv == "" {
			add("notify.email.user is set without a password: name password_file or password_env")
		}
	}
	return errs
}

// webhookProblem says what is wrong with a webhook URL without repeating it: a webhook's path is
// often its secret, and internal/target's words are about API roots.
func webhookProblem(raw string, err error) string {
	switch {
	case errors.Is(err, target.ErrUserinfo):
		return "the URL holds a user name or password, which would be copied into logs; give a URL without user:password@"
	case strings.ContainsAny(raw, "?#"):
		return "the URL has a query (?) or fragment (#), which bulk does not send; give a URL without one"
	case errors.Is(err, target.ErrInsecureHTTP):
		host := ""
		if u, perr := url.Parse(strings.TrimSpace(raw)); perr == nil {
			host = u.Hostname()
		}
		return fmt.Sprintf("plain http:// to %s, which is not this machine, would send the notification unencrypted; use https://, or set allow_insecure_http: true under notify", host)
	}
	return "not an http(s) URL with a host, such as https://hooks.example.ac.uk/bulk"
}

func isLoopbackName(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Event is what a notification says about a run: nothing in it names a person.
type Event struct {
	Job      string      `json:"job"`
	RunID    string      `json:"run_id"`
	Approves string      `json:"approves,omitempty"` // the held run this run approved
	Status   string      `json:"status"`             // done, held, failed or busy
	Counts   EventCounts `json:"counts"`
	// HeldBecause are the thresholds a held run broke, in counts.
	HeldBecause []string `json:"held_because,omitempty"`
	Approve     string   `json:"approve,omitempty"` // the command that sends a held run
	Report      string   `json:"report"`            // the run's report folder
	// Credentials is the private file new users' logins went to (a OneFile run that created users).
	Credentials string  `json:"credentials,omitempty"`
	Seconds     float64 `json:"seconds"`
	Finished    string  `json:"finished"` // RFC 3339, UTC
}

// EventCounts are a run's counts of rows.
type EventCounts struct {
	Read      int64 `json:"rows_read"`
	Valid     int64 `json:"rows_valid"`
	Rejected  int64 `json:"rows_rejected"`
	New       int64 `json:"new"`
	Changed   int64 `json:"changed"`
	Unchanged int64 `json:"unchanged"`
	Missing   int64 `json:"missing"`
	Sent      int64 `json:"sent"`
	Skipped   int64 `json:"skipped_unchanged"`
	// Archived are OneFile users archived as leavers (on_missing: archive); a count, never who.
	Archived int64 `json:"archived,omitempty"`
}

// newEvent gathers a run's event from its summary (the history's) and its diff counts.
func newEvent(j *Job, runID, status string, summary map[string]any, took time.Duration, now time.Time) Event {
	counts, _ := summary["diff"].(DiffCounts)
	e := Event{Job: j.Name, RunID: runID, Status: status, Seconds: took.Round(100 * time.Millisecond).Seconds(),
		Finished: now.UTC().Format(time.RFC3339)}
	e.Counts = EventCounts{Read: num(summary["rows_read"]), Valid: num(summary["rows_valid"]), Rejected: num(summary["rows_rejected"]),
		New: int64(counts.New), Changed: int64(counts.Changed), Unchanged: int64(counts.Unchanged), Missing: int64(counts.Missing),
		Sent: num(summary["sent"]), Skipped: num(summary["skipped_unchanged"]), Archived: num(summary["archived"])}
	if s, ok := summary["report"].(string); ok {
		e.Report = absPath(s)
	}
	if s, ok := summary["credentials"].(string); ok {
		e.Credentials = s
	}
	if s, ok := summary["approves"].(string); ok {
		e.Approves = s
	}
	if why, ok := summary["held_because"].([]string); ok && status == "held" {
		e.HeldBecause = why
	}
	if status == "held" {
		e.Approve = ApproveCommand(j, runID)
	}
	return e
}

func num(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// Line is the run's one human line: "learners-nightly: 3 new, 12 changed, 0 rejected; sent 15 in 4 s".
func (e Event) Line() string {
	secs := strconv.FormatFloat(e.Seconds, 'f', -1, 64)
	if e.Seconds >= 10 {
		secs = strconv.FormatFloat(float64(int64(e.Seconds+0.5)), 'f', 0, 64)
	}
	s := fmt.Sprintf("%s: %d new, %d changed, %d rejected", e.Job, e.Counts.New, e.Counts.Changed, e.Counts.Rejected)
	switch e.Status {
	case "done":
		s = fmt.Sprintf("%s; sent %d in %s s", s, e.Counts.Sent, secs)
		if e.Counts.Archived > 0 {
			// Archiving people is the run's weightiest change: the one line says it too.
			s = fmt.Sprintf("%s; archived %d who left the full export", s, e.Counts.Archived)
		}
	case "held":
		s = fmt.Sprintf("%s; held, nothing sent, in %s s: %s", s, secs, e.Approve)
	case "busy":
		s = fmt.Sprintf("%s; busy (another load is sending to the organisation), nothing sent, in %s s", s, secs)
	default:
		s = fmt.Sprintf("%s; failed, sent %d in %s s: see %s", s, e.Counts.Sent, secs, e.Report)
	}
	if e.Credentials != "" {
		s += "; new logins in " + e.Credentials
	}
	return s
}

// Text is the e-mail's body: the same content as the webhook's JSON.
func (e Event) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", e.Line())
	fmt.Fprintf(&b, "Job:       %s\nRun:       %s\nStatus:    %s\n", e.Job, e.RunID, e.Status)
	if e.Approves != "" {
		fmt.Fprintf(&b, "Approves:  %s\n", e.Approves)
	}
	fmt.Fprintf(&b, "Finished:  %s (%s s)\n", e.Finished, strconv.FormatFloat(e.Seconds, 'f', -1, 64))
	c := e.Counts
	fmt.Fprintf(&b, "Rows:      %d read, %d valid, %d rejected\n", c.Read, c.Valid, c.Rejected)
	fmt.Fprintf(&b, "Diff:      %d new, %d changed, %d unchanged, %d missing\n", c.New, c.Changed, c.Unchanged, c.Missing)
	fmt.Fprintf(&b, "Sent:      %d (%d unchanged skipped)\n", c.Sent, c.Skipped)
	for _, w := range e.HeldBecause {
		fmt.Fprintf(&b, "Held:      %s\n", w)
	}
	if e.Approve != "" {
		fmt.Fprintf(&b, "Approve:   %s\n", e.Approve)
	}
	fmt.Fprintf(&b, "Report:    %s\n", e.Report)
	if e.Credentials != "" {
		fmt.Fprintf(&b, "Logins:    %s (new users' passwords: hand them out, then delete the file)\n", e.Credentials)
	}
	return b.String()
}

// webhookPolicy is how a webhook POST is retried: a notification sent twice does no harm, so
// every failure but a refusal or an untrusted certificate is tried again. Tests shorten it.
var webhookPolicy = httpx.Policy{MaxAttempts: 4, Base: 2 * time.Second, Cap: 30 * time.Second, Jitter: httpx.EqualJitter, MaxRetryAfter: time.Minute}

// notifyTimeout bounds one notification's delivery, retries included, so a dead receiver
// cannot keep a nightly run (and its job lock) for long.
var notifyTimeout = 2 * time.Minute

// notify tells the job's receivers how a run ended, when the job asks for the status. A
// notification that cannot be delivered is logged; it never changes how the run ended.
func (r *runner) notify(ctx context.Context, log *slog.Logger, e Event) {
	n := r.j.Notify
	if n == nil || !n.wants(e.Status) {
		return
	}
	if e.Status == "busy" && r.busySpell(e.RunID) {
		// A job run every 5 minutes against an organisation another load keeps busy would
		// otherwise tell the same thing a dozen times an hour.
		log.Info("busy again: not notified; this busy spell was told when it began, and the next run that gets through ends it")
		return
	}
	// A failed or busy run after Ctrl-C still tells, within its own bound.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	defer cancel()
	if n.Webhook != "" {
		u, err := n.webhookURL()
		if err == nil {
			err = postWebhook(ctx, u, e)
		}
		if err != nil {
			// Only the origin: a webhook's path is often its secret (Slack, Teams).
			log.Error("notification not delivered", "via", "webhook", "to", u.Origin(), "status", e.Status, "err", err)
		} else {
			log.Info("notified", "via", "webhook", "to", u.Origin(), "status", e.Status)
		}
	}
	if m := n.Email; m != nil {
		if err := sendMail(ctx, m, e, r.d.Env); err != nil {
			log.Error("notification not delivered", "via", "email", "to", strings.Join(m.To, ", "), "server", net.JoinHostPort(m.Host, strconv.Itoa(m.Port)), "status", e.Status, "err", err)
		} else {
			log.Info("notified", "via", "email", "to", strings.Join(m.To, ", "), "status", e.Status)
		}
	}
}

// busySpell says whether busy run runID continues a busy spell already notified: the job's
// last run before it that ended (interrupted runs do not count: they did not get through, nor
// find the organisation busy) was busy too. A spell ends when a run gets through (done, held or
// failed), so the next busy run notifies again. When the history cannot be read, the run
// notifies: one notice too many is better than none.
func (r *runner) busySpell(runID string) bool {
	if r.st == nil {
		return false
	}
	runs, err := r.st.JobRuns(r.j.Name, 100)
	if err != nil {
		return false
	}
	for _, x := range runs {
		switch {
		case x.ID == runID, x.Status == "running", x.Status == "interrupted":
			continue
		}
		return x.Status == "busy"
	}
	return false
}

// postWebhook POSTs e as JSON to u, retried by webhookPolicy. Its errors never hold the URL.
func postWebhook(ctx context.Context, u target.URL, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 20 * time.Second, CheckRedirect: httpx.NoRedirects}
	p := webhookPolicy
	var last error
	for made := 0; ; {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return errors.New("cannot make the request")
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "bulk-nightly")
		tctx, written := httpx.TrackWrite(ctx)
		resp, err := hc.Do(req.WithContext(tctx))
		made++
		var class httpx.Class
		var wait time.Duration
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the url.Error repeats the URL, whose path may be the webhook's secret
			}
			class, last = httpx.ClassifyError(err, written()), err
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			class = httpx.ClassifyStatus(resp.StatusCode)
			if class == httpx.Success {
				return nil
			}
			last = fmt.Errorf("the receiver answered %s", resp.Status)
			if ra, ok := httpx.RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				if p.TooLong(ra) {
					return fmt.Errorf("%w, and asks to wait %s", last, ra)
				}
				wait = ra
			}
		}
		if !class.Retry(true) || !p.More(made) {
			if made > 1 {
				return fmt.Errorf("%w (after %d attempts)", last, made)
			}
			return last
		}
		if err := httpx.Sleep(ctx, p.Delay(made, wait)); err != nil {
			return fmt.Errorf("%w (gave up after %d attempts: %v)", last, made, err)
		}
	}
}

// smtpTLS is the TLS configuration STARTTLS uses; tests trust their own server's certificate.
var smtpTLS = func(host string) *tls.Config { return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12} }

// sendMail sends e's text by SMTP: STARTTLS unless the job turned it off for a loopback server,
// and PLAIN authentication when a password is named (net/smtp refuses it unencrypted).
func sendMail(ctx context.Context, m *Email, e Event, getenv func(string) string) error {
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot reach the mail server: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("the mail server did not greet: %w", err)
	}
	defer c.Close()
	if *m.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the mail server does not offer STARTTLS; use its submission port (587), or starttls: false for a server on this machine")
		}
		if err := c.StartTLS(smtpTLS(m.Host)); err != nil {
			return fmt.Errorf("STARTTLS failed: %w", err)
		}
	}
	if m.PasswordFile != "" || m.PasswordEnv != "" {
		pw, err := mailPassword(m, getenv)
		if err != nil {
			return err
		}
		user := m.User
		if user == "" {
			a, _ := mail.ParseAddress(m.From)
			if a != nil {
				user = a.Address
			}
		}
		if err := c.Auth(smtp.PlainAuth("", user, pw, m.Host)); err != nil {
			return fmt.Errorf("the mail server refused the login of %s: %w", user, err)
		}
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("notify.email.from: %w", err)
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("the mail server refused the sender: %w", err)
	}
	var to []string
	for _, t := range m.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return fmt.Errorf("notify.email.to %q: %w", t, err)
		}
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("the mail server refused %s: %w", a.Address, err)
		}
		to = append(to, a.String())
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("the mail server refused the message: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		from.String(), strings.Join(to, ", "), mimeSubject(fmt.Sprintf("bulk: %s %s (run %s)", e.Job, e.Status, e.RunID)), time.Now().Format(time.RFC1123Z))
	b.WriteString(strings.ReplaceAll(e.Text(), "\n", "\r\n"))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("cannot send the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("the mail server did not accept the message: %w", err)
	}
	return c.Quit()
}

// mimeSubject keeps a header on one line and encodes what is not ASCII.
func mimeSubject(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	return mime.QEncoding.Encode("utf-8", s)
}

func mailPassword(m *Email, getenv func(string) string) (string, error) {
	if m.PasswordFile != "" {
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("cannot read notify.email.password_file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	pw := getenv(m.PasswordEnv)
	if pw == "" {
		return "", fmt.Errorf("notify.email.password_env names %s, which is not set", m.PasswordEnv)
	}
	return pw, nil
}
