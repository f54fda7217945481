package peoplefluent_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
)

const key = "pf-system-KEY-2b7c41e0"

// env is one sandbox LMS and a Pusher pointed at it.
type env struct {
	srv    *sandbox.Server
	p      *peoplefluent.Pusher
	base   string
	raw    string
	logs   *bytes.Buffer
	mu     sync.Mutex
	waits  []time.Duration
	report string
}

func newEnv(t *testing.T, configure func(*sandbox.Server)) *env {
	t.Helper()
	srv := sandbox.New(peoplefluent.NewSecret(key), sandbox.DefaultSeed())
	srv.KeepBodies = true
	if configure != nil {
		configure(srv)
	}
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the sandbox: %v", err)
		}
	})
	e := &env{srv: srv, base: base, logs: &bytes.Buffer{}, report: t.TempDir()}
	e.raw = filepath.Join(e.report, "raw")
	e.p = &peoplefluent.Pusher{
		Base:      base,
		Key:       peoplefluent.NewSecret(key),
		ChunkRows: 3,
		Retries:   2,
		RawDir:    e.raw,
		Logger:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Client:    &http.Client{Timeout: 30 * time.Second},
	}
	peoplefluent.SetSleep(e.p, func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.waits = append(e.waits, d)
		e.mu.Unlock()
		return ctx.Err()
	})
	return e
}

func (e *env) push(t *testing.T, ep peoplefluent.Endpoint, payload string) (peoplefluent.Summary, error) {
	t.Helper()
	sum, err := e.p.Push(context.Background(), ep, "payload.csv", strings.NewReader(payload))
	checkSummary(t, sum)
	return sum, err
}

// checkSummary asserts that every row has exactly one result and the counts add up.
func checkSummary(t *testing.T, sum peoplefluent.Summary) {
	t.Helper()
	if sum.OK+sum.Warnings+sum.Failed+sum.Unknown != sum.Rows || len(sum.Results) != sum.Rows {
		t.Fatalf("counts do not add up: %+v (%d results)", sum, len(sum.Results))
	}
	seen := map[int]bool{}
	for _, r := range sum.Results {
		if seen[r.Row] && r.Row != 0 {
			t.Errorf("row %d has two results", r.Row)
		}
		seen[r.Row] = true
	}
}

// resultsByRow returns "status|message" per row.
func resultsByRow(sum peoplefluent.Summary) map[int]peoplefluent.Result {
	m := map[int]peoplefluent.Result{}
	for _, r := range sum.Results {
		m[r.Row] = r
	}
	return m
}

const trainingHeader = "USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,SESSIONTITLE,ACTION"

// trainingRows builds n training rows for known users, cycling modules.
func trainingRows(n int, action string) []string {
	users := []string{"jsmith", "adoe", "mlee", "pkhan"}
	mods := []string{"HS-101", "FIRE-01", "GDPR-2026", "FL-WS", "LEAD-PROG", "FA-EXAM"}
	var rows []string
	for i := range n {
		rows = append(rows, fmt.Sprintf("%s,%s,05-Sep-2026 09:00,Completed,Session %d,%s", users[i%len(users)], mods[(i/len(users))%len(mods)], i, action))
	}
	return rows
}

func payload(header string, rows ...string) string {
	return header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n"
}

func TestPushChunksQuotedMultilineCells(t *testing.T) {
	e := newEnv(t, nil)
	rows := trainingRows(7, "")
	rows[1] = `adoe,HS-101,05-Sep-2026,Completed,"Morning, ""part 1""` + "\n" + `and afternoon",`
	rows[5] = `pkhan,FIRE-01,NONE,Active,"two` + "\n\n" + `blank lines inside",`
	// BOM and LF line ends in the file; the LMS gets neither.
	in := "\uFEFF" + strings.ReplaceAll(payload(trainingHeader, rows...), "\r\n", "\n")
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, in)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 7 || sum.OK != 7 || sum.Chunks != 3 {
		t.Fatalf("summary %+v, want 7 rows ok in 3 chunks", sum)
	}
	for i, r := range sum.Results {
		if r.Row != i+2 || r.File != "payload.csv" {
			t.Errorf("result %d is for %s row %d, want row %d", i, r.File, r.Row, i+2)
		}
	}
	bodies := e.srv.Bodies(peoplefluent.TrainingHistoryCSV)
	if len(bodies) != 3 {
		t.Fatalf("%d requests, want 3", len(bodies))
	}
	var cells []string
	for i, b := range bodies {
		if !bytes.HasPrefix(b, []byte(trainingHeader+"\r\n")) {
			t.Errorf("chunk %d does not start with the header and CRLF: %q", i+1, b[:min(len(b), 60)])
		}
		if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("chunk %d has a bare LF", i+1)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("chunk %d is not valid CSV: %v", i+1, err)
		}
		if want := []int{4, 4, 2}[i]; len(recs) != want {
			t.Errorf("chunk %d has %d records, want %d", i+1, len(recs), want)
		}
		for _, r := range recs[1:] {
			cells = append(cells, r[4])
		}
	}
	if cells[1] != "Morning, \"part 1\"\nand afternoon" || cells[5] != "two\n\nblank lines inside" {
		t.Errorf("multi-line cells changed: %q / %q", cells[1], cells[5])
	}
	if got := e.srv.TrainingRecords(); got != 7 {
		t.Errorf("sandbox holds %d records, want 7", got)
	}
	raw, err := os.ReadFile(filepath.Join(e.raw, "chunk-0002.txt"))
	if err != nil || !strings.Contains(string(raw), "No Error Occurred") {
		t.Errorf("raw answer of chunk 2: %q, %v", raw, err)
	}
}

func TestPushWarningsAndFailedRows(t *testing.T) {
	for _, echoAll := range []bool{false, true} {
		t.Run(fmt.Sprintf("echoAll=%v", echoAll), func(t *testing.T) {
			e := newEnv(t, func(s *sandbox.Server) { s.EchoAll = echoAll })
			in := payload(trainingHeader,
				"jsmith,HS-101,05-Sep-2026 09:00,Completed,,",  // 2 ok
				"odd.user,HS-101,05-Sep-2026,Completed,,",      // 3 warning (seeded fault)
				"broken.user,HS-101,05-Sep-2026,Completed,,",   // 4 failed (seeded fault)
				"ghost,HS-101,05-Sep-2026,Completed,,",         // 5 failed: unknown user
				"adoe,HS-101,2026-09-05,Completed,,",           // 6 failed: date format
				"mlee,NOPE-1,05-Sep-2026,Completed,,",          // 7 failed: unknown learning ID
				"pkhan,FIRE-01,05/09/2026,Completed,,",         // 8 failed: date format
				"jsmith,HS-101,05-Sep-2026 09:00,Completed,,A", // 9 failed: record exists (row 2 added it)
			)
			sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, in)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int]string{
				2: "ok|",
				3: "warning|WARNING. Simulated warning for user odd.user",
				4: "failed|Simulated failure for user broken.user",
				5: "failed|User ID ghost does not exist.",
				6: `failed|ENROLLDATE "2026-09-05" is not a date`,
				7: "failed|Learning ID NOPE-1 does not exist.",
				8: `failed|ENROLLDATE "05/09/2026" is not a date`,
				9: "failed|A training record for jsmith on HS-101 already exists",
			}
			got := resultsByRow(sum)
			for row, w := range want {
				status, msg, _ := strings.Cut(w, "|")
				if got[row].Status != status || !strings.HasPrefix(got[row].Message, msg) {
					t.Errorf("row %d: %s %q, want %s %q", row, got[row].Status, got[row].Message, status, msg)
				}
			}
			if sum.OK != 1 || sum.Warnings != 1 || sum.Failed != 6 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

func TestPushChunkThatCrashes(t *testing.T) {
	tests := []struct {
		action       string
		wantRequests int    // for the crashing chunk
		wantStatus   string // of its rows
		wantMsg      string // on its rows
	}{
		// Add-or-update rows can be sent again safely: retried, then reported failed.
		{"", 3, "failed", "not confirmed: the LMS did not confirm this chunk (after 3 attempts, the last: HTTP 500 Internal Server Error"},
		// Adds could be duplicated if the LMS loaded them before failing: not retried, unknown.
		{"A", 1, "unknown", "outcome unknown: the LMS did not confirm this chunk (HTTP 500 Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run("action="+tt.action, func(t *testing.T) {
			e := newEnv(t, nil)
			rows := trainingRows(8, tt.action)
			rows[4] = "crash.user,HS-101,05-Sep-2026,Completed,," + tt.action // chunk 2 (rows 5-7)
			sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, rows...))
			if err != nil {
				t.Fatal(err)
			}
			if sum.OK != 5 || sum.Problems() != 3 || sum.Chunks != 3 {
				t.Fatalf("summary %+v, want 5 ok and 3 not ok in 3 chunks", sum)
			}
			got := resultsByRow(sum)
			for row := 2; row <= 9; row++ {
				r := got[row]
				inCrash := row >= 5 && row <= 7
				if inCrash && (r.Status != tt.wantStatus || !strings.HasPrefix(r.Message, tt.wantMsg)) {
					t.Errorf("row %d: %s %q, want %s %q", row, r.Status, r.Message, tt.wantStatus, tt.wantMsg)
				}
				if !inCrash && r.Status != "ok" {
					t.Errorf("row %d: %s %q, want ok", row, r.Status, r.Message)
				}
			}
			if n := e.srv.Stats().Statuses[500]; n != tt.wantRequests {
				t.Errorf("the crashing chunk was sent %d times, want %d", n, tt.wantRequests)
			}
			if len(e.waits) != tt.wantRequests-1 {
				t.Errorf("%d waits, want %d", len(e.waits), tt.wantRequests-1)
			}
			raw, _ := os.ReadFile(filepath.Join(e.raw, "chunk-0002.txt"))
			if !strings.Contains(string(raw), "NullPointerException") {
				t.Errorf("raw answer of the crashing chunk not kept: %q", raw)
			}
		})
	}
}

func TestPushBusyHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, func(s *sandbox.Server) { s.RetryAfter = "7" })
	// ACTION A: a 503 says the LMS did not take the chunk, so even adds are retried.
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, "busy.user,HS-101,05-Sep-2026,Completed,,A"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK != 1 {
		t.Fatalf("summary %+v: %+v", sum, sum.Results)
	}
	if len(e.waits) != 1 || e.waits[0] != 7*time.Second {
		t.Errorf("waits %v, want [7s] from Retry-After", e.waits)
	}
	if !strings.Contains(e.logs.String(), "retrying") {
		t.Error("the retry was not logged")
	}
}

func TestPushRetryAfterTooLong(t *testing.T) {
	e := newEnv(t, func(s *sandbox.Server) { s.RetryAfter = "3600" })
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, "busy.user,HS-101,05-Sep-2026,Completed,,", "jsmith,HS-101,,,,"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 || !strings.Contains(sum.Results[0].Message, "asked to wait 1h0m0s, longer than bulk waits") || len(e.waits) != 0 {
		t.Errorf("summary %+v, waits %v", sum, e.waits)
	}
}

func TestPushConnectionDroppedAfterLoading(t *testing.T) {
	tests := []struct {
		action      string
		wantStatus  string
		wantMsg     string
		wantPosts   int
		wantRecords int
	}{
		// Add-or-update: sent again, the second answer confirms; still one record.
		{"", "ok", "", 2, 1},
		// Add: the LMS loaded it but bulk cannot know; it must not send it again.
		{"A", "unknown", "outcome unknown", 1, 1},
	}
	for _, tt := range tests {
		t.Run("action="+tt.action, func(t *testing.T) {
			e := newEnv(t, nil)
			sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, "drop.user,HS-101,05-Sep-2026,Completed,,"+tt.action))
			if err != nil {
				t.Fatal(err)
			}
			r := sum.Results[0]
			if r.Status != tt.wantStatus || !strings.Contains(r.Message, tt.wantMsg) {
				t.Errorf("result %s %q, want %s %q", r.Status, r.Message, tt.wantStatus, tt.wantMsg)
			}
			if n := e.srv.Stats().Requests["trainingHistoryCsv"]; n != tt.wantPosts {
				t.Errorf("%d posts, want %d", n, tt.wantPosts)
			}
			if n := e.srv.TrainingRecords(); n != tt.wantRecords {
				t.Errorf("%d records in the LMS, want %d", n, tt.wantRecords)
			}
		})
	}
}

// An empty 200 (LMS 10.1 and earlier) says nothing of the rows: never success. Rows that only
// update are failed (safe to send again), rows that add are unknown.
func TestPushEmptyAnswerIsNotSuccess(t *testing.T) {
	for _, tt := range []struct {
		action     string
		wantStatus string
	}{{"", "failed"}, {"A", "unknown"}} {
		t.Run("action="+tt.action, func(t *testing.T) {
			e := newEnv(t, func(s *sandbox.Server) { s.EmptyAnswers = true })
			sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, trainingRows(4, tt.action)...))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Problems() != 4 || sum.OK+sum.Warnings != 0 {
				t.Fatalf("summary %+v", sum)
			}
			for _, r := range sum.Results {
				if r.Status != tt.wantStatus || !strings.Contains(r.Message, "empty body") {
					t.Errorf("row %d: %s %q, want %s about the empty body", r.Row, r.Status, r.Message, tt.wantStatus)
				}
			}
			// An unreadable answer is not retried at once: the next answer would be the same.
			if n := e.srv.Stats().Requests["trainingHistoryCsv"]; n != 2 {
				t.Errorf("%d requests, want one per chunk", n)
			}
		})
	}
}

func TestPushAuthFailure(t *testing.T) {
	e := newEnv(t, nil)
	e.p.Key = peoplefluent.NewSecret("wrong-" + key)
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, trainingRows(8, "")...))
	var ae *peoplefluent.AuthError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Fatalf("error %v, want an *AuthError 401", err)
	}
	if sum.Rows != 8 || sum.Failed != 8 || !strings.Contains(sum.Results[7].Message, "not sent: the LMS refused the system key") {
		t.Errorf("summary %+v", sum)
	}
	st := e.srv.Stats()
	if st.AuthFails != 1 || st.Requests["trainingHistoryCsv"] != 0 {
		t.Errorf("sandbox saw %d auth failures and %d accepted requests; the push must stop at the first 401", st.AuthFails, st.Requests["trainingHistoryCsv"])
	}
}

func TestPushStopsOnWrongURL(t *testing.T) {
	e := newEnv(t, nil)
	e.p.Base = strings.TrimSuffix(e.base, "ekp/") + "other/"
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, trainingRows(5, "")...))
	var ee *peoplefluent.EndpointError
	if !errors.As(err, &ee) || ee.Status != 404 || !strings.Contains(err.Error(), "check --base") {
		t.Fatalf("error %v, want a 404 *EndpointError", err)
	}
	if sum.Failed != 5 || e.srv.Stats().Statuses[404] != 1 {
		t.Errorf("summary %+v, 404s %d", sum, e.srv.Stats().Statuses[404])
	}
}

func TestPushDoesNotFollowRedirects(t *testing.T) {
	posts := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts++
		http.Redirect(w, r, "https://sso.example.com/login?ticket=ST-5ecret", http.StatusFound)
	}))
	defer ts.Close()
	p := &peoplefluent.Pusher{Base: ts.URL + "/ekp", Key: peoplefluent.NewSecret(key)}
	_, err := p.Push(context.Background(), peoplefluent.Courses, "c.xml", strings.NewReader("<courses/>"))
	var ee *peoplefluent.EndpointError
	// Named without its query, which may carry a ticket or token.
	if !errors.As(err, &ee) || ee.Location != "https://sso.example.com/login" || posts != 1 || strings.Contains(err.Error(), "5ecret") {
		t.Fatalf("error %v after %d posts, want an *EndpointError naming the redirect without its query", err, posts)
	}
}

// TestPushStopsAtUntrustedCertificate: a certificate this machine does not trust is not retried
// (no retry can fix it) and the error says what is wrong; no request reaches the LMS.
func TestPushStopsAtUntrustedCertificate(t *testing.T) {
	var posts atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { posts.Add(1) }))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	ts.StartTLS()
	defer ts.Close()
	var waits []time.Duration
	p := &peoplefluent.Pusher{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), Retries: 3}
	peoplefluent.SetSleep(p, func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil })
	sum, err := p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "t.csv", strings.NewReader(payload(trainingHeader, "jsmith,HS-101,,,,A")))
	checkSummary(t, sum)
	var ce *peoplefluent.ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "certificate is not trusted") {
		t.Fatalf("error %v, want a *ConnectError saying the certificate is not trusted", err)
	}
	if len(waits) != 0 || posts.Load() != 0 || sum.Failed != 1 {
		t.Errorf("%d waits, %d posts, summary %+v; want no retry, nothing posted, the row failed", len(waits), posts.Load(), sum)
	}
}

func TestPushCannotConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	var waits int
	p := &peoplefluent.Pusher{Base: "http://" + addr + "/ekp/", Key: peoplefluent.NewSecret(key), Retries: 2, ChunkRows: 2}
	peoplefluent.SetSleep(p, func(context.Context, time.Duration) error { waits++; return nil })
	sum, err := p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "t.csv", strings.NewReader(payload(trainingHeader, trainingRows(5, "A")...)))
	checkSummary(t, sum)
	var ce *peoplefluent.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *ConnectError", err)
	}
	if waits != 2 || sum.Failed != 5 || !strings.Contains(sum.Results[4].Message, "not sent: the LMS could not be reached") {
		t.Errorf("waits %d, summary %+v", waits, sum)
	}
}

// flakyLMS answers each request with the next status in its script (then 200).
type flakyLMS struct {
	mu         sync.Mutex
	script     []int
	retryAfter string // Retry-After header of 429 and 503 answers, if set
	headers    []http.Header
	bodies     []string
}

func (f *flakyLMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	f.headers = append(f.headers, r.Header.Clone())
	f.bodies = append(f.bodies, string(b))
	code := 200
	if len(f.script) > 0 {
		code, f.script = f.script[0], f.script[1:]
	}
	if f.retryAfter != "" && (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	w.WriteHeader(code)
	if code == 200 {
		io.WriteString(w, "No Error Occurred")
	} else {
		// A careless proxy page that echoes the request headers.
		fmt.Fprintf(w, "<html>%d; you sent %s</html>", code, r.Header.Get("Authorization"))
	}
}

func TestPushOtherClientErrorFailsOnlyThatChunk(t *testing.T) {
	lms := &flakyLMS{script: []int{200, 400, 200}}
	ts := httptest.NewServer(lms)
	defer ts.Close()
	p := &peoplefluent.Pusher{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), ChunkRows: 2, RawDir: filepath.Join(t.TempDir(), "raw")}
	sum, err := p.Push(context.Background(), peoplefluent.ExternalTrainingCSV, "x.csv", strings.NewReader(payload("Action,UserId,Title", "A,a,t1", "A,b,t2", "A,c,t3", "A,d,t4", "A,e,t5")))
	checkSummary(t, sum)
	if err != nil {
		t.Fatal(err)
	}
	got := resultsByRow(sum)
	for row := 2; row <= 6; row++ {
		want := "ok"
		if row == 4 || row == 5 {
			want = "failed"
		}
		if got[row].Status != want {
			t.Errorf("row %d: %s %q, want %s", row, got[row].Status, got[row].Message, want)
		}
	}
	if msg := got[4].Message; !strings.Contains(msg, "the LMS refused this chunk (HTTP 400 Bad Request") || !strings.Contains(msg, "raw/chunk-0002.txt") {
		t.Errorf("message %q", msg)
	}
	h := lms.headers[0]
	user, _, _ := strings.Cut(decodeBasic(t, h.Get("Authorization")), ":")
	if h.Get("Content-Type") != "text/plain; charset=utf-8" || user != "bulk" {
		t.Errorf("Content-Type %q, user %q", h.Get("Content-Type"), user)
	}
}

func decodeBasic(t *testing.T, h string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
	if err != nil {
		t.Fatalf("Authorization %q: %v", h, err)
	}
	return string(b)
}

func TestKeyNeverLeaks(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("bulk:" + key))
	dir := t.TempDir()
	var logs bytes.Buffer
	var errs []string
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var results bytes.Buffer
	rw := peoplefluent.NewResultWriter(&results)
	push := func(p *peoplefluent.Pusher, ep peoplefluent.Endpoint, body string) {
		t.Helper()
		p.Key, p.Logger, p.Retries = peoplefluent.NewSecret(key), logger, 1
		p.OnResult = rw.Write
		peoplefluent.SetSleep(p, func(context.Context, time.Duration) error { return nil })
		_, err := p.Push(context.Background(), ep, "f", strings.NewReader(body))
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
		errs = append(errs, fmt.Sprintf("%+v %#v", p, p))
	}
	// A proxy that echoes the Authorization header in error pages and answers.
	lms := &flakyLMS{script: []int{500, 500, 401}}
	ts := httptest.NewServer(lms)
	defer ts.Close()
	push(&peoplefluent.Pusher{Base: ts.URL, RawDir: filepath.Join(dir, "a")}, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, trainingRows(2, "")...))
	push(&peoplefluent.Pusher{Base: ts.URL, RawDir: filepath.Join(dir, "b")}, peoplefluent.Courses, "<courses/>")
	// The sandbox: a crash, a drop, an empty answer, bad rows.
	e := newEnv(t, nil)
	rows := append(trainingRows(3, ""), "crash.user,HS-101,,,,", "drop.user,HS-101,,,,A", "ghost,X,,,,")
	push(&peoplefluent.Pusher{Base: e.base, RawDir: filepath.Join(dir, "c"), ChunkRows: 1}, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, rows...))
	// Not reachable.
	push(&peoplefluent.Pusher{Base: "http://127.0.0.1:1/ekp/", RawDir: filepath.Join(dir, "d")}, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, "a,b,,,,"))
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}

	var files strings.Builder
	nfiles := 0
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			files.Write(b)
			nfiles++
		}
		return nil
	})
	if nfiles < 5 {
		t.Fatalf("only %d raw files written; the test does not cover what it claims", nfiles)
	}
	if !strings.Contains(files.String(), "you sent Basic [redacted]") {
		t.Error("the echoed Authorization header was not scrubbed to [redacted] in the raw files")
	}
	for name, text := range map[string]string{"logs": logs.String(), "errors": strings.Join(errs, "\n"), "results.csv": results.String(), "raw files": files.String()} {
		if strings.Contains(text, key) || strings.Contains(text, basic) {
			t.Errorf("the key appears in the %s", name)
		}
	}
	if !strings.Contains(results.String(), "[redacted]") {
		t.Error("expected the scrubbed echo in a results message; the scrub path is not exercised")
	}
}

func TestPushCancelled(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []peoplefluent.Result
	e.p.OnResult = func(r peoplefluent.Result) error {
		got = append(got, r)
		if r.Row == 4 { // last row of the first chunk
			cancel()
		}
		return nil
	}
	sum, err := e.p.Push(ctx, peoplefluent.TrainingHistoryCSV, "t.csv", strings.NewReader(payload(trainingHeader, trainingRows(10, "")...)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if sum.Rows != 10 || len(got) != 10 || sum.OK != 3 || sum.Failed != 7 || sum.Results != nil {
		t.Fatalf("summary %+v, %d results streamed", sum, len(got))
	}
	if !strings.Contains(got[9].Message, "not sent: the push was cancelled") {
		t.Errorf("last row: %q", got[9].Message)
	}
	if n := e.srv.Stats().Requests["trainingHistoryCsv"]; n != 1 {
		t.Errorf("%d chunks sent after cancelling, want 1", n)
	}
}

func TestPushBrokenPayload(t *testing.T) {
	e := newEnv(t, nil)
	rows := trainingRows(5, "")
	rows[3] = `pkhan,HS-101,"unterminated,Completed,,`
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, rows...))
	var pe *peoplefluent.PayloadError
	if !errors.As(err, &pe) || pe.Line != 5 {
		t.Fatalf("error %v, want a *PayloadError at line 5", err)
	}
	// Chunk 1 (rows 2-4) went; chunk 2 broke while being read and was not sent.
	if sum.OK != 3 || e.srv.Stats().Requests["trainingHistoryCsv"] != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestPushExternalTraining(t *testing.T) {
	e := newEnv(t, nil)
	const h = "Action,RecordID,UserId,Title,CourseType,StartDate,EndDate,Status,Duration,Unit,Cost,Currency"
	sum, err := e.push(t, peoplefluent.ExternalTrainingCSV, payload(h,
		"A,EXT-1,jsmith,First Aid at Work,R,2026-09-05 09:00:00,2026-09-06,4,7.50,H,250,GBP",
		"A,EXT-2,adoe,Manual Handling,O,2026-09-05,,2,1,D,,",
		"AU,EXT-1,jsmith,First Aid at Work (renewal),,,,4,,,,",
		"D,EXT-2,,,,,,,,,,",
		"U,EXT-9,,,,,,,,,,",
		"A,,ghost,Title,TNS,,,,7.555,H,10,gbp",
	))
	if err != nil {
		t.Fatal(err)
	}
	got := resultsByRow(sum)
	for row, want := range map[int]string{2: "ok", 3: "ok", 4: "ok", 5: "ok", 6: "failed", 7: "failed"} {
		if got[row].Status != want {
			t.Errorf("row %d: %s %q, want %s", row, got[row].Status, got[row].Message, want)
		}
	}
	if m := got[7].Message; !strings.Contains(m, "ghost does not exist") || !strings.Contains(m, "7.555") || !strings.Contains(m, `Currency "gbp"`) {
		t.Errorf("row 7 message %q", m)
	}
	if n := e.srv.ExternalRecords(); n != 1 {
		t.Errorf("%d external records, want 1", n)
	}
}

func TestPushCourses(t *testing.T) {
	e := newEnv(t, nil)
	good := `<?xml version="1.0" encoding="UTF-8"?>
<courses>
  <module><id>HS-101</id><title>Health and Safety</title>
    <session><id>S1</id><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end></session>
  </module>
</courses>`
	bad := strings.Replace(good, "2026-09-05T17:00:00", "2026-09-04T17:00:00", 1)
	tests := []struct {
		name, body, status, msg string
	}{
		{"good", good, "ok", ""},
		{"end before start", bad, "failed", "Error: module HS-101 session S1: start is not before end."},
		{"not XML", "<courses><module>", "failed", "not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := e.p.Push(context.Background(), peoplefluent.Courses, "courses.xml", strings.NewReader(tt.body))
			checkSummary(t, sum)
			if err != nil {
				t.Fatal(err)
			}
			r := sum.Results[0]
			if sum.Rows != 1 || r.Row != 0 || r.Status != tt.status || !strings.Contains(r.Message, tt.msg) {
				t.Errorf("result %+v", r)
			}
		})
	}
	h := e.srv.Bodies(peoplefluent.Courses)
	if len(h) != 3 || string(h[0]) != good {
		t.Errorf("courses bodies not posted whole: %d", len(h))
	}
}

func TestPushResultsGolden(t *testing.T) {
	e := newEnv(t, nil)
	in, err := os.ReadFile(filepath.Join("testdata", "training-push.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rw := peoplefluent.NewResultWriter(&out)
	e.p.OnResult = rw.Write
	sum, err := e.p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "training-push.csv", bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 8 {
		t.Errorf("%d rows", sum.Rows)
	}
	peoplefluent.Golden(t, "training-push.results.golden.csv", out.Bytes())
}

func TestPushBackoffGrowsWithJitter(t *testing.T) {
	e := newEnv(t, nil)
	e.p.Retries, e.p.MinBackoff, e.p.MaxBackoff = 3, 100*time.Millisecond, 300*time.Millisecond
	// Add-or-update rows are safe to send again, so a chunk answered 500 is retried.
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, payload(trainingHeader, "crash.user,HS-101,05-Sep-2026,Completed,,"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || !strings.Contains(sum.Results[0].Message, "after 4 attempts") {
		t.Fatalf("summary %+v", sum)
	}
	// Doubling from 100ms, capped at 300ms, each wait between half and all of its step.
	steps := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if len(e.waits) != len(steps) {
		t.Fatalf("waits %v, want %d", e.waits, len(steps))
	}
	for i, step := range steps {
		if w := e.waits[i]; w < step/2 || w > step {
			t.Errorf("wait %d is %v, want within [%v, %v]", i+1, w, step/2, step)
		}
	}
	if n := e.srv.Stats().Statuses[500]; n != 4 {
		t.Errorf("%d posts answered 500, want 4 (1 + 3 retries)", n)
	}
}

func TestPushRetryAfterForms(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		retryAfter func(now time.Time) string
		min, max   time.Duration
	}{
		{"503 without Retry-After backs off", http.StatusServiceUnavailable, nil, 50 * time.Millisecond, 100 * time.Millisecond},
		{"429 with seconds", http.StatusTooManyRequests, func(time.Time) string { return "12" }, 12 * time.Second, 12 * time.Second},
		{"503 with an HTTP date", http.StatusServiceUnavailable, func(now time.Time) string { return now.Add(40 * time.Second).UTC().Format(http.TimeFormat) }, 38 * time.Second, 40 * time.Second},
		// "Now" is no hint of how long: the normal backoff keeps a busy LMS from being hammered.
		{"429 with a date in the past backs off", http.StatusTooManyRequests, func(now time.Time) string { return now.Add(-time.Hour).UTC().Format(http.TimeFormat) }, 50 * time.Millisecond, 100 * time.Millisecond},
		{"503 with zero seconds backs off", http.StatusServiceUnavailable, func(time.Time) string { return "0" }, 50 * time.Millisecond, 100 * time.Millisecond},
		{"503 with garbage backs off", http.StatusServiceUnavailable, func(time.Time) string { return "soon" }, 50 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lms := &flakyLMS{script: []int{tt.code, 200}}
			if tt.retryAfter != nil {
				lms.retryAfter = tt.retryAfter(time.Now())
			}
			ts := httptest.NewServer(lms)
			defer ts.Close()
			var waits []time.Duration
			p := &peoplefluent.Pusher{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), MinBackoff: 100 * time.Millisecond}
			peoplefluent.SetSleep(p, func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil })
			// ACTION A: a 429 or 503 says the LMS did not take the chunk, so even adds are retried.
			sum, err := p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "t.csv", strings.NewReader(payload(trainingHeader, "jsmith,HS-101,,,,A")))
			checkSummary(t, sum)
			if err != nil || sum.OK != 1 || len(lms.bodies) != 2 {
				t.Fatalf("error %v, summary %+v after %d posts", err, sum, len(lms.bodies))
			}
			if len(waits) != 1 || waits[0] < tt.min || waits[0] > tt.max {
				t.Errorf("waits %v, want one within [%v, %v]", waits, tt.min, tt.max)
			}
		})
	}
}

func TestPushExternalReplayAfterDrop(t *testing.T) {
	const h = "Action,RecordID,UserId,Title"
	tests := []struct {
		name        string
		row         string
		wantStatus  string
		wantMsg     string
		wantPosts   int
		wantRecords int
	}{
		// AU with a RecordID can only write that one record again: sent again, confirmed.
		{"AU with RecordID", "AU,EXT-5,drop.user,Manual Handling", "ok", "", 2, 1},
		// A creates a record each time: bulk must not send it again.
		{"A", "A,EXT-5,drop.user,Manual Handling", "unknown", "outcome unknown", 1, 1},
		// AU without a RecordID adds a new record each time too.
		{"AU without RecordID", "AU,,drop.user,Manual Handling", "unknown", "outcome unknown", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			sum, err := e.push(t, peoplefluent.ExternalTrainingCSV, payload(h, tt.row))
			if err != nil {
				t.Fatal(err)
			}
			if r := sum.Results[0]; r.Status != tt.wantStatus || !strings.Contains(r.Message, tt.wantMsg) {
				t.Errorf("result %s %q, want %s %q", r.Status, r.Message, tt.wantStatus, tt.wantMsg)
			}
			if n := e.srv.Stats().Requests["externalTrainingCsv"]; n != tt.wantPosts {
				t.Errorf("%d posts, want %d", n, tt.wantPosts)
			}
			if n := e.srv.ExternalRecords(); n != tt.wantRecords {
				t.Errorf("%d external records in the LMS, want %d", n, tt.wantRecords)
			}
		})
	}
}
