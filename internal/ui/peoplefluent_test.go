package ui

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bulkload/bulk/formats/peoplefluent"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// trainingCSV writes a training-history file of three good rows and one whose enrolment date
// (31 September) does not exist, for users and a module the PeopleFluent sandbox's seed holds.
func trainingCSV(t testing.TB) string {
	t.Helper()
	const body = "USERID,LEARNINGID,ENROLLDATE,STARTDATE,ENDDATE,STUDENTSTATUS,Training Venue,Instructor,SCORE,ACTION\n" +
		"jsmith,HS-101,01-Sep-2026 09:00,05-Sep-2026 09:00,05-Sep-2026 17:00,Pass,LON-01,trainer1,87,A\n" +
		"adoe,HS-101,01-Sep-2026 09:00,05-Sep-2026 09:00,05-Sep-2026 17:00,Pass,LON-01,trainer1,75,A\n" +
		"mlee,HS-101,31-Sep-2026 09:00,05-Oct-2026 09:00,05-Oct-2026 17:00,Pass,LON-01,trainer2,64,A\n" +
		"pkhan,HS-101,01-Sep-2026 09:00,05-Sep-2026 09:00,05-Sep-2026 17:00,Pass,MAN-02,trainer2,91,A\n"
	path := filepath.Join(t.TempDir(), "training.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// recorder keeps every answer's body the client receives.
type recorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.mu.Lock()
	r.bodies.Write(b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

type pfStateView struct {
	Error     string `json:"error"`
	PFPreview *struct {
		Endpoint string `json:"endpoint"`
		Send     int64  `json:"send"`
		Read     int64  `json:"read"`
		Rejected int64  `json:"rejected"`
	} `json:"pf_preview"`
	Apply *struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Push    [][2]any `json:"push"`
	} `json:"apply"`
}

func (v pfStateView) counts() map[string]int64 {
	m := map[string]int64{}
	if v.Apply != nil {
		for _, p := range v.Apply.Push {
			name, _ := p[0].(string)
			n, _ := p[1].(float64)
			m[name] = int64(n)
		}
	}
	return m
}

// fixFirstError puts value in the first cell with an error, as the grid's edit does.
func (ts *testServer) fixFirstError(t *testing.T, c *http.Client, value string) {
	t.Helper()
	var page rowsPage
	ts.do(t, c, http.MethodGet, "/api/rows?show=problems&limit=500&table=0", nil, "", &page)
	for _, rw := range page.Rows {
		for _, p := range rw.Problems {
			if p.Severity == "error" && p.Col >= 0 {
				var ok map[string]any
				if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": 0, "row": rw.Row, "col": p.Col, "value": value}, &ok); code != http.StatusOK {
					t.Fatalf("edit: %d %v", code, ok)
				}
				return
			}
		}
	}
	t.Fatalf("no cell with an error among %d rows", len(page.Rows))
}

// TestPFPushAPI: a training-history file, fixed on the page, pushed to an LMS (a PeopleFluent
// sandbox on loopback) with its users checked first and the records read back after; the counts
// add up as the command line's, and the system key, given in the environment or a file, is in
// no answer and no file of the session.
func TestPFPushAPI(t *testing.T) {
	const key = "pfkey-7c1d9e-SECRET"
	lms := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
	base, stop, err := lms.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	ts := startServer(t)
	ts.o.Getenv = func(k string) string { return map[string]string{app.PFKeyEnv: key}[k] }
	c := ts.signIn(t)
	rec := &recorder{next: http.DefaultTransport}
	c.Transport = rec
	for _, in := range []map[string]any{
		{"kind": "peoplefluent", "base": base, "user": "admin", "token_source": "file", "token_file": key + "\n", "token_name": "pf.key"},
		{"kind": "peoplefluent", "base": base, "user": "admin", "token_source": "env"},
	} {
		var st map[string]any
		if code := ts.postJSON(t, c, "/api/target", in, &st); code != http.StatusOK {
			t.Fatalf("target %v: %d %v", in["token_source"], code, st["error"])
		}
	}
	var st map[string]any
	if code := ts.postJSON(t, c, "/api/target", map[string]any{"kind": "peoplefluent", "base": "ftp://lms", "token_source": "env"}, &st); code != http.StatusBadRequest {
		t.Errorf("a base URL that is not http(s): %d, want 400", code)
	}
	ts.postJSON(t, c, "/api/target", map[string]any{"kind": "peoplefluent", "base": base, "user": "admin", "token_source": "env"}, &st)

	ts.upload(t, c, trainingCSV(t))
	var view pfStateView
	ts.postJSON(t, c, "/api/pf/preview", map[string]any{}, &view)
	if p := view.PFPreview; p == nil || p.Read != 4 || p.Rejected != 1 || p.Send != 3 || p.Endpoint != "trainingHistoryCsv" {
		t.Fatalf("preview before the fix: %+v (error %q), want 3 of 4 rows to send to trainingHistoryCsv", p, view.Error)
	}
	ts.fixFirstError(t, c, "01-Sep-2026 09:00")
	ts.postJSON(t, c, "/api/pf/preview", map[string]any{}, &view)
	if p := view.PFPreview; p == nil || p.Send != 4 || p.Rejected != 0 {
		t.Fatalf("preview after the fix: %+v (error %q), want 4 rows to send", p, view.Error)
	}
	if code := ts.postJSON(t, c, "/api/pf/push", map[string]any{"check_users": true, "verify": true}, &st); code != http.StatusAccepted {
		t.Fatalf("push: %d %v", code, st["error"])
	}
	ts.waitApplied(t, c)
	ts.do(t, c, http.MethodGet, "/api/state", nil, "", &view)
	got := view.counts()
	if view.Apply.Status != "done" || got["read"] != 4 || got["valid"] != 4 || got["sent"] != 4 || got["ok"] != 4 || got["confirmed"] != 4 {
		t.Errorf("push: %s %q, counts %v; want 4 read, sent, ok and confirmed", view.Apply.Status, view.Apply.Message, got)
	}
	if got["read"] != got["valid"]+got["rejected"] || got["sent"] != got["ok"]+got["warning"]+got["failed"]+got["unknown"] {
		t.Errorf("counts do not add up: %v", got)
	}
	if n := lms.Stats().Loaded[string(peoplefluent.TrainingHistoryCSV)]; n != 4 {
		t.Errorf("the LMS loaded %d rows, want 4", n)
	}
	var res rowsPageResults
	ts.do(t, c, http.MethodGet, "/api/results", nil, "", &res)
	if res.Total != 4 {
		t.Errorf("%d results, want one a row: %+v", res.Total, res.Rows)
	}
	var sent []string
	for _, r := range res.Rows {
		if r.Status != peoplefluent.StatusOK || r.Action != "trainingHistoryCsv" {
			t.Errorf("result %+v, want ok from trainingHistoryCsv", r)
		}
		sent = append(sent, r.Sent)
	}
	// Each answer names the record it is about: the payload keeps the input's order.
	if got, want := strings.Join(sent, ", "), "jsmith · HS-101, adoe · HS-101, mlee · HS-101, pkhan · HS-101"; got != want {
		t.Errorf("the answers are about %q, want %q", got, want)
	}

	rec.mu.Lock()
	if bytes.Contains(rec.bodies.Bytes(), []byte(key)) {
		t.Errorf("an answer holds the system key")
	}
	if rec.bodies.Len() == 0 {
		t.Error("no answer was recorded")
	}
	rec.mu.Unlock()
	err = filepath.WalkDir(ts.Dir(), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), key) {
			t.Errorf("%s holds the system key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type rowsPageResults struct {
	Total int         `json:"total"`
	Rows  []resultRow `json:"rows"`
}

// TestBrowserPFPush drives the page in a real Chromium: a training-history file with one bad
// date, fixed in the grid, previewed and pushed into the built-in PeopleFluent sandbox; the
// results list every row sent, as the LMS answered it.
func TestBrowserPFPush(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	ts := startServer(t)
	csvFile := trainingCSV(t)
	do := func(what string, steps ...step) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({error: document.querySelector("#error").textContent, target: document.querySelector("#target-status").textContent, counts: document.querySelector("#counts").textContent, preview: document.querySelector("#pf-preview").textContent, apply: document.querySelector("#apply-status").textContent, results: document.querySelectorAll("#results tbody tr").length})`))
			t.Fatalf("%s: %v\npage: %s", what, err, dump)
		}
	}
	do("sign in", chromedp.Navigate(ts.url), chromedp.WaitVisible(css("#drop")), waitFor(text("#target-status")+`.includes("sandbox")`))
	do("target", js(`document.querySelector("#target-kind").value = "peoplefluent"; document.querySelector("#pf-where").value = "sandbox"; document.querySelector("#target-save").click()`),
		waitFor(text("#target-status")+`.includes("PeopleFluent sandbox")`), shot(t, "pf-1-target", "#target"))
	do("upload", chromedp.SetUploadFiles(css("#file-input"), []string{csvFile}), waitFor(text("#counts")+`.includes("4 rows") && `+text("#counts")+`.includes("1 rejected")`))
	bad := `#grid-space .grow[data-row="4"] .gcell.bad`
	// The preview before the fix leaves the bad row out, and leads to it.
	do("preview before", chromedp.Click(css("#pf-preview-btn")), waitFor(text("#pf-preview")+`.includes("3 to send") && document.querySelector("#pf-endpoints a")`),
		chromedp.Click(css("#pf-endpoints a")), waitFor(`document.querySelector("#f-show").value === "rejected"`))
	do("click", waitFor(`document.querySelector('`+bad+`')`), chromedp.Click(css(bad)), chromedp.WaitVisible(css("#grid-space input")))
	do("edit", js(`document.querySelector("#grid-space input").value = "01-Sep-2026 09:00"`), chromedp.SendKeys(css("#grid-space input"), kb.Enter),
		waitFor(text("#counts")+`.includes("0 rejected")`))
	do("preview", chromedp.Click(css("#pf-preview-btn")), waitFor(text("#pf-preview")+`.includes("4 to send") && document.querySelectorAll("#pf-endpoints tbody tr").length === 1`),
		shot(t, "pf-2-preview", "#plan"))
	do("push", js(`document.querySelector("#pf-check-users").checked = true; document.querySelector("#pf-verify").checked = true; document.querySelector("#pf-push-btn").click()`),
		waitFor(text("#apply-status")+`.startsWith("done") && document.querySelectorAll("#results tbody tr").length === 4`),
		shot(t, "pf-3-results", "#apply"))
	statuses, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#results tbody tr")].map(r => r.cells[2].textContent + ":" + r.cells[3].textContent).join(" ")`))
	if err != nil {
		t.Fatal(err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](text("#apply-status")))
	t.Logf("results: %s; %s", statuses, status)
	if strings.Count(statuses, "trainingHistoryCsv:ok") != 4 || !strings.Contains(status, "4 sent, 4 ok") || !strings.Contains(status, "4 confirmed") {
		t.Errorf("results %q, status %q: want the 4 rows sent and ok, and confirmed", statuses, status)
	}
}

// TestPFPushRefusedOrCancelled: a push the LMS refuses (a wrong key) fails with a reason that
// holds no key, and a push cancelled while the LMS is answering ends interrupted; neither
// leaves the page thinking it is still running.
func TestPFPushRefusedOrCancelled(t *testing.T) {
	const key, wrong = "pfkey-right-SECRET", "pfkey-wrong-SECRET"
	for _, tc := range []struct {
		name, key, status string
		cancel            bool
	}{
		{"wrong key", wrong, "failed", false},
		{"cancelled", key, "interrupted", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lms := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
			if tc.cancel {
				lms.Latency = 20 * time.Second // the answer comes after the cancel
			}
			base, stop, err := lms.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			ts := startServer(t)
			c := ts.signIn(t)
			rec := &recorder{next: http.DefaultTransport}
			c.Transport = rec
			var st map[string]any
			if code := ts.postJSON(t, c, "/api/target", map[string]any{"kind": "peoplefluent", "base": base, "user": "admin", "token_source": "file", "token_file": tc.key, "token_name": "pf.key"}, &st); code != http.StatusOK {
				t.Fatalf("target: %d %v", code, st["error"])
			}
			ts.upload(t, c, trainingCSV(t))
			ts.postJSON(t, c, "/api/pf/preview", map[string]any{}, &st)
			if code := ts.postJSON(t, c, "/api/pf/push", map[string]any{}, &st); code != http.StatusAccepted {
				t.Fatalf("push: %d %v", code, st["error"])
			}
			if tc.cancel {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				for lms.Stats().Requests[string(peoplefluent.TrainingHistoryCSV)] == 0 {
					select {
					case <-ctx.Done():
						t.Fatal("the push never reached the LMS")
					case <-time.After(20 * time.Millisecond):
					}
				}
				ts.postJSON(t, c, "/api/cancel", map[string]any{}, &st)
			}
			ts.waitApplied(t, c)
			var view pfStateView
			ts.do(t, c, http.MethodGet, "/api/state", nil, "", &view)
			if view.Apply.Status != tc.status || view.Apply.Message == "" {
				t.Errorf("push: %s %q, want %s with a reason", view.Apply.Status, view.Apply.Message, tc.status)
			}
			t.Logf("%s: %s", view.Apply.Status, view.Apply.Message)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, k := range []string{key, wrong} {
				if bytes.Contains(rec.bodies.Bytes(), []byte(k)) {
					t.Errorf("an answer holds a system key")
				}
			}
		})
	}
}
