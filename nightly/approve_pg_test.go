package nightly

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/pgtest"
)

// TestApproveSharedState: approving a held OneFile run of a job whose state is PostgreSQL
// records its load in that shared ledger, under the lock every machine sees, as the job's own
// runs do; before, approve used this machine's SQLite ledger and a local lock file, so a load
// on another machine could send to the organisation at the same time and not know what the
// approval created.
func TestApproveSharedState(t *testing.T) {
	state := pgtest.URL(t)
	box := sandbox.New(sandbox.Config{})
	url, stop, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stop(ctx)
	})
	f := newRunnerFixtureIn(t, "", state)
	writeFile(t, filepath.Join(f.dir, "token"), box.CustomerToken())
	writeFile(t, f.job, fmt.Sprintf(`name: learners-nightly
inputs: {folder: in, settle: 1s}
kind: onefile-users
state: %s
target: {type: onefile, url: %q, organisation: 5740, token_file: token, rate: 60000}
thresholds: {max_new: 1}
`, state, url))
	d := f.deps()
	local := filepath.Join(f.dir, "local-ledger.db")
	d.LedgerPath = func() (string, error) { return local, nil }
	lf := &leaversFixture{runnerFixture: f, box: box, url: url, d: d}
	lf.drop(seq(1, 3))
	if k := lf.run(); k != app.Held {
		t.Fatalf("3 new against max_new 1: %v, want held\n%s", k, f.logbuf.String())
	}
	runs := f.runs()
	if err := Approve(context.Background(), d, f.log(), ApproveOptions{RunID: runs[0].ID, Job: f.job, Yes: true}); err != nil {
		t.Fatalf("approve: %v\n%s", err, f.logbuf.String())
	}
	if n := len(lf.idsOf()); n < 3 {
		t.Fatalf("approve created %d users", n)
	}
	if _, err := os.Stat(local); err == nil {
		t.Errorf("approving wrote this machine's ledger %s, not the shared one", local)
	}
	led, err := ledger.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	rs, err := led.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	sent := false
	for _, r := range rs {
		if !r.DryRun && r.Counts["ok"] == 3 {
			sent = true
		}
	}
	if !sent {
		t.Errorf("the shared ledger has no run that created the 3 learners: %+v", rs)
	}
}
