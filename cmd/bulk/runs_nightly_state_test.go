package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/nightly"
)

// TestRunsNightlyState: 'bulk runs --nightly --state postgres://...' lists the nightly runs kept
// in that database (a job with state: postgres://...), and shows one; a --state file, the ledger
// of loads, is refused with what to give instead. Before, --state was silently ignored and the
// local nightly.db was read ("No nightly runs recorded").
func TestRunsNightlyState(t *testing.T) {
	pg := pgtest.URL(t)
	st, err := nightly.OpenState(pg)
	if err != nil {
		t.Fatal(err)
	}
	const id = "20261207T020001-abc123"
	if err := st.StartRun(nightly.Run{ID: id, Job: "learners-nightly", JobPath: "/srv/jobs/learners.yaml", File: "learners.csv", Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(id, "done", "", map[string]any{"rows_read": 3}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := map[string]string{"BULK_STATE_DIR": t.TempDir()}

	code, out, stderr := runBulk(t, env, "runs", "--nightly", "--state", pg)
	if code != 0 || !strings.Contains(out, id) {
		t.Errorf("runs --nightly --state postgres://: exit %d, want the run listed\n%s%s", code, out, stderr)
	}
	code, out, stderr = runBulk(t, env, "runs", "show", id, "--state", pg)
	if code != 0 || !strings.Contains(out, "learners-nightly") {
		t.Errorf("runs show NIGHTLY_ID --state postgres://: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = runBulk(t, env, "runs", "--nightly", "--state", filepath.Join(t.TempDir(), "ledger.db"))
	if code != ExitCannotRun || !strings.Contains(stderr, "--nightly-state") {
		t.Errorf("runs --nightly --state FILE: exit %d, want %d naming --nightly-state\n%s", code, ExitCannotRun, stderr)
	}
}
