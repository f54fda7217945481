package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/nightly"
)

// heldRun makes a nightly job (training history exported to a folder) whose first night is
// held by its threshold (2 new rows, max_new 1), and returns its state, its output folder and
// the held run's ID.
func heldRun(t *testing.T) (state, out, id string) {
	t.Helper()
	dir := t.TempDir()
	in, out, state := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "nightly.db")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(dir, "job.yaml")
	yaml := fmt.Sprintf("name: training\ninputs: {folder: in, settle: 1s}\nkind: training-history\nstate: %s\ntarget: {type: export, folder: out}\nthresholds: {max_new: 1}\n", state)
	if err := os.WriteFile(job, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	drop := filepath.Join(in, "completions.csv")
	csv := "User ID,Learning ID,Completion Date,Status,Action\nJSmith,HS-101,05/09/2026,Completed,A\nmlee,FIRE-01,06/09/2026,Pass,A\n"
	if err := os.WriteFile(drop, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute) // settled: the job claims only files that stopped changing
	os.Chtimes(drop, old, old)
	d := app.Deps{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	if err := nightly.RunJob(context.Background(), d, slog.New(slog.NewTextHandler(io.Discard, nil)), job, nightly.RunOptions{}); app.KindOf(err) != app.Held {
		t.Fatalf("the night was not held: %v", err)
	}
	st, err := nightly.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(10)
	if err != nil || len(runs) != 1 || runs[0].Status != "held" {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	return state, out, runs[0].ID
}

// TestBrowserApprovesHeldRun: the runs page lists a held nightly run, shows what approving it
// would do, refuses an ID typed wrong, and approves it once the ID is typed; the job's payload
// is then written and the run is held no more.
func TestBrowserApprovesHeldRun(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	state, out, id := heldRun(t)
	ts := startServerWith(t, Options{LedgerPath: filepath.Join(t.TempDir(), "ledger.db"), NightlyState: state})
	step := func(what string, steps ...step) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	row := fmt.Sprintf(`#nightly-runs tr[data-run=%q]`, id)
	step("list", chromedp.Navigate(ts.url), waitFor(`document.querySelector('`+row+` button.review')`),
		js(`document.querySelector('`+row+` button.review').click()`),
		waitFor(text("#held-view")+`.includes("Held because")`), shot(t, "7-held", "#runs"))
	step("wrong ID", js(`document.querySelector("#approve-id").value = "nope"; document.querySelector("#approve-btn").click()`),
		waitFor(text("#error")+`.includes("type the run's ID")`))
	if files, _ := filepath.Glob(filepath.Join(out, "*")); len(files) != 0 {
		t.Fatalf("sent before approval: %v", files)
	}
	step("approve", js(fmt.Sprintf(`document.querySelector("#approve-id").value = %q; document.querySelector("#approve-btn").click()`, id)),
		waitFor(text("#approve-out")+`.startsWith("Approved")`),
		waitFor(`!document.querySelector('`+row+` button.review')`), shot(t, "8-approved", "#runs"))
	if files, _ := filepath.Glob(filepath.Join(out, "*")); len(files) == 0 {
		t.Error("approved, but the job wrote no payload")
	}
	st, err := nightly.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.GetRun(id)
	if err != nil || r.Status == "held" {
		t.Errorf("run %s after approval: %+v, %v", id, r, err)
	}
}
