package ui

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/app"
)

const sample = "../../samples/term-start.xlsx"

// rowsPage is GET /api/rows's answer.
type rowsPage struct {
	Total int    `json:"total"`
	Rows  []*row `json:"rows"`
}

type stateView struct {
	Error      string `json:"error"`
	Validation *struct {
		Counts struct{ Read, Valid, Rejected, Warnings int64 }
		Tables []struct {
			Index  int      `json:"index"`
			Sheet  string   `json:"sheet"`
			Header []string `json:"header"`
		} `json:"tables"`
	} `json:"validation"`
	Plan *struct {
		Counts map[string]int64 `json:"counts"`
		Rows   int              `json:"rows"`
		Writes int64            `json:"writes"`
	} `json:"plan"`
	Apply *struct {
		Status      string           `json:"status"`
		Done        int              `json:"done"`
		Counts      map[string]int64 `json:"counts"`
		Credentials bool             `json:"credentials"`
		Message     string           `json:"message"`
	} `json:"apply"`
}

func (ts *testServer) state(t *testing.T, c *http.Client) stateView {
	var st stateView
	ts.do(t, c, http.MethodGet, "/api/state", nil, "", &st)
	return st
}

// badCell finds a rejected row's cell marked with an error of rule in the table whose sheet is
// sheet.
func (ts *testServer) badCell(t *testing.T, c *http.Client, sheet, rule string) (table int, r *row, col int) {
	t.Helper()
	st := ts.state(t, c)
	for _, tb := range st.Validation.Tables {
		if tb.Sheet != sheet {
			continue
		}
		var page rowsPage
		ts.do(t, c, http.MethodGet, "/api/rows?show=problems&limit=500&rule="+rule+"&table="+strconv.Itoa(tb.Index), nil, "", &page)
		for _, rw := range page.Rows {
			for _, p := range rw.Problems {
				if p.Rule == rule && p.Severity == "error" && p.Col >= 0 && len(rw.Problems) == 1 {
					return tb.Index, rw, p.Col
				}
			}
		}
	}
	t.Fatalf("no %s error alone on a row of sheet %s", rule, sheet)
	return 0, nil, 0
}

// waitApplied waits, bounded, for the load to end.
func (ts *testServer) waitApplied(t *testing.T, c *http.Client) stateView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		st := ts.state(t, c)
		if st.Apply != nil && st.Apply.Status != "running" {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the load did not end: %+v", st.Apply)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestFlowAPI: upload the sample, fix one cell, plan and apply into the built-in sandbox, all
// through the API; the counts are those the CLI's use case gives for the same files.
func TestFlowAPI(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	var st map[string]any
	if code := ts.postJSON(t, c, "/api/target", map[string]any{"kind": "sandbox", "keychain": "off"}, &st); code != http.StatusOK {
		t.Fatalf("target: %d %v", code, st["error"])
	}
	ts.upload(t, c, sample)
	before := ts.state(t, c)
	if before.Validation == nil {
		t.Fatalf("no validation after the upload: %+v", before)
	}
	bc := before.Validation.Counts
	if bc.Read != bc.Valid+bc.Rejected || bc.Rejected == 0 {
		t.Fatalf("counts do not add up, or the sample's mistakes are not found: %+v", bc)
	}

	// Harry Whitfield's start date, 31/02/2026, made real.
	table, r, col := ts.badCell(t, c, "Learners", "date")
	var ok map[string]any
	if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": table, "row": r.Row, "col": col, "value": "28/02/2026"}, &ok); code != http.StatusOK {
		t.Fatalf("edit: %d %v", code, ok)
	}
	after := ts.state(t, c)
	ac := after.Validation.Counts
	if ac.Rejected >= bc.Rejected || ac.Read != bc.Read || ac.Read != ac.Valid+ac.Rejected {
		t.Errorf("after fixing row %d: %+v, before %+v", r.Row, ac, bc)
	}

	// The fixed workbook, validated by the CLI's use case, counts the same.
	resp, err := c.Get(ts.base + "/api/download/file/term-start.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(t.TempDir(), "term-start-fixed.xlsx")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := os.WriteFile(fixed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := app.Validate(context.Background(), app.Deps{Stderr: io.Discard}, app.InputOptions{Files: []string{fixed}, ReportDir: t.TempDir(), Quiet: true})
	if out == nil {
		t.Fatal(err)
	}
	if got := out.Counts; got.Read != ac.Read || got.Valid != ac.Valid || got.Rejected != ac.Rejected || got.Warnings != ac.Warnings {
		t.Errorf("the downloaded workbook validates as %+v, the page said %+v", got, ac)
	}

	// Plan.
	ts.postJSON(t, c, "/api/plan", nil, &st)
	pl := ts.state(t, c)
	if pl.Plan == nil {
		t.Fatalf("no plan: %s", pl.Error)
	}
	var sum int64
	for _, n := range pl.Plan.Counts {
		sum += n
	}
	if sum != int64(pl.Plan.Rows) || int64(pl.Plan.Rows) != ac.Read || pl.Plan.Counts["create"] == 0 {
		t.Errorf("plan counts %v (%d rows) do not add up to the %d rows read", pl.Plan.Counts, pl.Plan.Rows, ac.Read)
	}

	// Apply, and a second apply while it runs is refused (one load, however many tabs).
	if code := ts.postJSON(t, c, "/api/apply", map[string]any{}, &st); code != http.StatusAccepted {
		t.Fatalf("apply: %d %v", code, st)
	}
	done := ts.waitApplied(t, c)
	if done.Apply.Status != "done" {
		t.Fatalf("apply ended %q: %s", done.Apply.Status, done.Apply.Message)
	}
	if done.Apply.Counts["ok"] != pl.Plan.Writes {
		t.Errorf("%d rows ok, the plan had %d to write", done.Apply.Counts["ok"], pl.Plan.Writes)
	}
	var res struct {
		Total int         `json:"total"`
		Rows  []resultRow `json:"rows"`
	}
	ts.do(t, c, http.MethodGet, "/api/results?status=ok&limit=500", nil, "", &res)
	if int64(res.Total) != pl.Plan.Writes {
		t.Errorf("%d results ok, want %d", res.Total, pl.Plan.Writes)
	}
	for _, rr := range res.Rows {
		if rr.Kind == "onefile-users" && rr.OneFileID == "" {
			t.Errorf("row %d created with no OneFile ID", rr.Row)
		}
	}

	// The logins, once (the sandbox's keychain is off: OneFile returns them).
	if !done.Apply.Credentials {
		t.Fatal("no logins to download")
	}
	for i, want := range []int{http.StatusOK, http.StatusGone} {
		resp, err := c.Get(ts.base + "/api/download/credentials.csv")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("download %d of the logins: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}
