package peoplefluent_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
)

// resumeEnv is a sandbox LMS, a payload file and a push ledger that several runs share.
type resumeEnv struct {
	srv    *sandbox.Server
	base   string
	ledger string
	file   string
}

func newResumeEnv(t *testing.T, payloadText string, configure func(*sandbox.Server)) *resumeEnv {
	t.Helper()
	seed := sandbox.DefaultSeed()
	seed.AnyUser, seed.AnyModule = true, true
	srv := sandbox.New(peoplefluent.NewSecret(key), seed)
	if configure != nil {
		configure(srv)
	}
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	dir := t.TempDir()
	file := filepath.Join(dir, "payload.csv")
	if err := os.WriteFile(file, []byte(payloadText), 0o600); err != nil {
		t.Fatal(err)
	}
	return &resumeEnv{srv: srv, base: base, ledger: filepath.Join(dir, "state", pushledger.FileName), file: file}
}

// run pushes the payload file once, as a fresh process would: a new Pusher, the ledger opened
// anew. configure may change the Pusher (ResendUnknown, Again, ...).
func (e *resumeEnv) run(t *testing.T, ctx context.Context, ep peoplefluent.Endpoint, configure func(*peoplefluent.Pusher)) (peoplefluent.Summary, error) {
	t.Helper()
	led, err := pushledger.Open(e.ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	f, err := os.Open(e.file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &peoplefluent.Pusher{Base: e.base, Key: peoplefluent.NewSecret(key), ChunkRows: 3, Retries: 2,
		Ledger: led, Client: &http.Client{Timeout: 30 * time.Second}}
	peoplefluent.SetSleep(p, func(ctx context.Context, _ time.Duration) error { return ctx.Err() })
	if configure != nil {
		configure(p)
	}
	sum, err := p.Push(ctx, ep, "payload.csv", f)
	checkSummary(t, sum)
	return sum, err
}

// mixedRows are nine training rows in chunks of three: adds (A), and updates (U) of records
// an earlier chunk adds, so chunk 2 holds both kinds.
var mixedRows = []string{
	"jsmith,HS-101,05-Sep-2026 09:00,Completed,,A",
	"adoe,HS-101,05-Sep-2026 09:00,Completed,,A",
	"mlee,HS-101,05-Sep-2026 09:00,Completed,,A",
	"jsmith,HS-101,06-Sep-2026 09:00,Completed,,U",
	"pkhan,HS-101,05-Sep-2026 09:00,Completed,,A",
	"adoe,HS-101,06-Sep-2026 09:00,Completed,,U",
	"trainer1,HS-101,05-Sep-2026 09:00,Completed,,A",
	"mlee,HS-101,06-Sep-2026 09:00,Completed,,U",
	"trainer2,HS-101,05-Sep-2026 09:00,Completed,,A",
}

func statuses(sum peoplefluent.Summary) string {
	var b strings.Builder
	for _, r := range sum.Results {
		fmt.Fprintf(&b, "%d:%s ", r.Row, r.Status)
	}
	return strings.TrimSpace(b.String())
}

// receivedAdds checks that the sandbox received every ACTION A row of rows exactly want times.
func receivedAdds(t *testing.T, srv *sandbox.Server, rows []string, want int) {
	t.Helper()
	got := srv.Received(peoplefluent.TrainingHistoryCSV)
	for _, r := range rows {
		if strings.HasSuffix(r, ",A") && got[r] != want {
			t.Errorf("the LMS received %q %d times, want %d", r, got[r], want)
		}
	}
}

// The LMS loads chunk 2 and the connection drops before its answer. The same run sends the
// chunk's updates again (safe) and reports its add unknown; a second run of the same payload
// sends nothing at all (chunks 1 and 3 were answered, chunk 2's add is still unknown); a third
// run with ResendUnknown sends the add alone.
func TestResumeAfterDroppedAnswer(t *testing.T) {
	e := newResumeEnv(t, payload(trainingHeader, mixedRows...), func(s *sandbox.Server) { s.DropRequests = []int{2} })
	ctx := context.Background()

	sum, err := e.run(t, ctx, peoplefluent.TrainingHistoryCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(sum), "2:ok 3:ok 4:ok 5:ok 6:unknown 7:ok 8:ok 9:ok 10:ok"; got != want {
		t.Fatalf("first run: %s, want %s\n%+v", got, want, sum.Results)
	}
	r := resultsByRow(sum)
	if m := r[6].Message; !strings.Contains(m, "ACTION A") || !strings.Contains(m, "--resend-unknown") || !strings.Contains(m, "check this row in the LMS") {
		t.Errorf("the unknown row's message does not tell the officer what to do: %q", m)
	}
	if n := e.srv.Stats().Requests["trainingHistoryCsv"]; n != 4 {
		t.Errorf("%d requests, want 4 (3 chunks and chunk 2's updates once more)", n)
	}
	got := e.srv.Received(peoplefluent.TrainingHistoryCSV)
	if got[mixedRows[3]] != 2 || got[mixedRows[5]] != 2 {
		t.Errorf("chunk 2's updates were received %d and %d times, want 2 (sent again after the drop)", got[mixedRows[3]], got[mixedRows[5]])
	}
	receivedAdds(t, e.srv, mixedRows, 1)

	sum, err = e.run(t, ctx, peoplefluent.TrainingHistoryCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(sum), "2:ok 3:ok 4:ok 5:ok 6:unknown 7:ok 8:ok 9:ok 10:ok"; got != want {
		t.Fatalf("second run: %s, want %s", got, want)
	}
	if n := e.srv.Stats().Requests["trainingHistoryCsv"]; n != 4 {
		t.Errorf("the second run sent %d requests, want none", n-4)
	}
	if sum.Earlier != 2 || len(sum.Resumed) != 1 || sum.Resumed[0] != 2 {
		t.Errorf("second run: %d chunks answered earlier, resumed %v; want 2 and [2]", sum.Earlier, sum.Resumed)
	}
	if m := resultsByRow(sum)[2].Message; !strings.HasPrefix(m, "answered in an earlier run of this push (chunk 1,") {
		t.Errorf("row 2 of the second run: %q", m)
	}
	receivedAdds(t, e.srv, mixedRows, 1)

	// The officer checked: pkhan is not in the LMS. (The sandbox has it, so it says so.)
	sum, err = e.run(t, ctx, peoplefluent.TrainingHistoryCSV, func(p *peoplefluent.Pusher) { p.ResendUnknown = true })
	if err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Received(peoplefluent.TrainingHistoryCSV)[mixedRows[4]]; n != 2 {
		t.Errorf("with ResendUnknown the add was received %d times in all, want 2", n)
	}
	if r := resultsByRow(sum)[6]; r.Status != "failed" || !strings.Contains(r.Message, "--resend-unknown") || !strings.Contains(r.Message, "already exists") {
		t.Errorf("row 6 after ResendUnknown: %s %q", r.Status, r.Message)
	}
	if n := e.srv.Stats().Requests["trainingHistoryCsv"]; n != 5 {
		t.Errorf("%d requests in all, want 5: ResendUnknown sends only the unknown row", n)
	}
}

// A run stopped while the LMS holds chunk 2 (loaded, answer not yet sent): the next run
// sends chunk 3, sends chunk 2's updates again, reports its add unknown, and sends no add twice.
func TestResumeAfterStopMidRequest(t *testing.T) {
	e := newResumeEnv(t, payload(trainingHeader, mixedRows...), func(s *sandbox.Server) { s.Latency = 300 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			if e.srv.Stats().Requests["trainingHistoryCsv"] == 2 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	sum, err := e.run(t, ctx, peoplefluent.TrainingHistoryCSV, nil)
	<-done
	if err == nil {
		t.Fatal("the stopped run returned no error")
	}
	if got, want := statuses(sum), "2:ok 3:ok 4:ok 5:failed 6:unknown 7:failed 8:failed 9:failed 10:failed"; got != want {
		t.Fatalf("stopped run: %s, want %s", got, want)
	}

	// Let the sandbox finish with chunk 2 (it has loaded it already).
	time.Sleep(400 * time.Millisecond)
	sum, err = e.run(t, context.Background(), peoplefluent.TrainingHistoryCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(sum), "2:ok 3:ok 4:ok 5:ok 6:unknown 7:ok 8:ok 9:ok 10:ok"; got != want {
		t.Fatalf("second run: %s, want %s\n%+v", got, want, sum.Results)
	}
	if m := resultsByRow(sum)[5].Message; !strings.HasPrefix(m, "resumed: chunk 2's answer was lost in an earlier run; this row only updates, so it was sent again") {
		t.Errorf("row 5 of the second run: %q", m)
	}
	receivedAdds(t, e.srv, mixedRows, 1)
	if e.srv.TrainingRecords() != 6 {
		t.Errorf("%d training records, want 6", e.srv.TrainingRecords())
	}
}

// Chunks the LMS provably did not take (503 with a Retry-After too long to wait) are sent in
// full by the next run, adds included: nothing of them was loaded.
func TestResumeSendsChunksNotLoaded(t *testing.T) {
	rows := []string{"jsmith,HS-101,05-Sep-2026,Completed,,A", "busy.user,HS-101,05-Sep-2026,Completed,,A", "adoe,HS-101,05-Sep-2026,Completed,,A"}
	e := newResumeEnv(t, payload(trainingHeader, rows...), func(s *sandbox.Server) { s.RetryAfter = "3600" })
	sum, err := e.run(t, context.Background(), peoplefluent.TrainingHistoryCSV, func(p *peoplefluent.Pusher) { p.ChunkRows = 1 })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(sum), "2:ok 3:failed 4:ok"; got != want {
		t.Fatalf("first run: %s, want %s", got, want)
	}
	// A second run asks for another chunk size: the ledger's is kept, so chunks still match.
	sum, err = e.run(t, context.Background(), peoplefluent.TrainingHistoryCSV, func(p *peoplefluent.Pusher) { p.ChunkRows = 50 })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(sum), "2:ok 3:ok 4:ok"; got != want {
		t.Fatalf("second run: %s, want %s\n%+v", got, want, sum.Results)
	}
	receivedAdds(t, e.srv, []string{rows[0], rows[2]}, 1)
	if n := e.srv.Received(peoplefluent.TrainingHistoryCSV)[rows[1]]; n != 2 {
		t.Errorf("the refused row was received %d times, want 2 (refused, then loaded)", n)
	}
}

// Again starts a new push of the same payload: everything is sent again, on purpose.
func TestPushAgain(t *testing.T) {
	rows := []string{"jsmith,HS-101,05-Sep-2026,Completed,,", "adoe,HS-101,05-Sep-2026,Completed,,"}
	e := newResumeEnv(t, payload(trainingHeader, rows...), nil)
	for i, again := range []bool{false, false, true} {
		if _, err := e.run(t, context.Background(), peoplefluent.TrainingHistoryCSV, func(p *peoplefluent.Pusher) { p.Again = again }); err != nil {
			t.Fatal(err)
		}
		want := []int{1, 1, 2}[i]
		if n := e.srv.Received(peoplefluent.TrainingHistoryCSV)[rows[0]]; n != want {
			t.Errorf("run %d: row received %d times, want %d", i+1, n, want)
		}
	}
}

// An answer that is not the endpoint's (a login page, a proxy's error page, garbage, an empty
// 200) is never success: rows that add are unknown, rows that only update failed, each with
// the first bytes of the answer, scrubbed of the key; a re-run sends the updates again and
// never the adds.
func TestUnreadableAnswers(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"login page", "<html><head><title>Sign in</title></head><body><form>Password</form><p>Authorization: Basic %s</p></body></html>", `begins "Sign in Password Authorization: Basic [redacted]"`},
		{"proxy error", "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "502 Bad Gateway nginx"},
		{"garbage", "\x00\x01\x02 ok?", "it begins"},
		{"empty", "", "empty body"},
	}
	basic := "Basic " + base64Basic("bulk", key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				body := tt.body
				if strings.Contains(body, "%s") {
					body = fmt.Sprintf(body, strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
				}
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte(body))
			}))
			defer ts.Close()
			rows := []string{"jsmith,HS-101,05-Sep-2026,Completed,,A", "adoe,HS-101,05-Sep-2026,Completed,,U"}
			e := newResumeEnv(t, payload(trainingHeader, rows...), nil)
			e.base = ts.URL + "/ekp/"
			for run := 1; run <= 2; run++ {
				sum, err := e.run(t, context.Background(), peoplefluent.TrainingHistoryCSV, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := statuses(sum); got != "2:unknown 3:failed" {
					t.Fatalf("run %d: %s, want 2:unknown 3:failed", run, got)
				}
				for _, r := range sum.Results {
					if !strings.Contains(r.Message, tt.want) {
						t.Errorf("run %d row %d: %q does not contain %q", run, r.Row, r.Message, tt.want)
					}
					if strings.Contains(r.Message, key) || strings.Contains(r.Message, basic) {
						t.Errorf("the key is in a result: %q", r.Message)
					}
				}
				if sum.Problems() != 2 {
					t.Errorf("run %d: %d problems, want 2 (never success)", run, sum.Problems())
				}
			}
			// Run 1 sent both rows; run 2 sent the update alone.
			if n := posts.Load(); n != 2 {
				t.Errorf("%d posts, want 2", n)
			}
		})
	}
}

// courses XML is one chunk: an answer lost leaves the file unknown, and a second run does not
// post it again.
func TestResumeCourses(t *testing.T) {
	e := newResumeEnv(t, `<courses><course id="C1"><title>One</title></course></courses>`, func(s *sandbox.Server) { s.DropRequests = []int{1} })
	for run := 1; run <= 2; run++ {
		sum, err := e.run(t, context.Background(), peoplefluent.Courses, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Unknown != 1 || !strings.Contains(sum.Results[0].Message, "check the courses in the LMS") {
			t.Errorf("run %d: %+v", run, sum)
		}
	}
	if n := e.srv.Stats().Requests["courses"]; n != 1 {
		t.Errorf("courses posted %d times, want 1", n)
	}
}

func TestKeepEarlierResults(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if r, raw, err := peoplefluent.KeepEarlierResults(dir); err != nil || r != "" || raw != "" {
		t.Fatalf("empty folder: %q %q %v", r, raw, err)
	}
	write("results.csv", "first")
	write("raw/chunk-0001.txt", "answer 1")
	write("results-1.csv", "someone else's") // taken: the next free number is 2
	r, raw, err := peoplefluent.KeepEarlierResults(dir)
	if err != nil || filepath.Base(r) != "results-2.csv" || filepath.Base(raw) != "raw-2" {
		t.Fatalf("got %q %q %v", r, raw, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "results-2.csv")); string(b) != "first" {
		t.Errorf("results-2.csv holds %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "raw-2", "chunk-0001.txt")); string(b) != "answer 1" {
		t.Errorf("raw-2/chunk-0001.txt holds %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "results.csv")); !os.IsNotExist(err) {
		t.Errorf("results.csv is still there: %v", err)
	}
}

func base64Basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
