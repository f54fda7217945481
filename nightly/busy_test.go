package nightly

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// TestBusyNotifiedOncePerSpell (issue 15): a job run every few minutes while another load keeps
// the organisation busy notifies when the spell begins, not at every run; a run that gets
// through ends the spell, so the next busy run notifies again. Real parts: a sandbox and a
// webhook on loopback, the organisation's real lock held as another load holds it.
func TestBusyNotifiedOncePerSpell(t *testing.T) {
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
	h := newHook(t, 0)
	f := newRunnerFixture(t, "")
	writeFile(t, filepath.Join(f.dir, "token"), box.CustomerToken())
	writeFile(t, f.job, fmt.Sprintf(`name: learners-nightly
inputs: {folder: in, settle: 1s}
kind: onefile-users
state: %s
target: {type: onefile, url: %q, organisation: 5740, token_file: token, rate: 60000}
notify: {webhook: '%s/hook', on: [done, busy]}
`, f.state, url, h.URL))
	ledgerPath := filepath.Join(f.dir, "ledger.db")
	d := f.deps()
	d.LedgerPath = func() (string, error) { return ledgerPath, nil }
	led, err := ledger.Open(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	busy := func() func() {
		lk, err := led.LockScope(ledger.Scope{APIRoot: url, Org: 5740})
		if err != nil {
			t.Fatal(err)
		}
		return func() { lk.Release() }
	}
	run := func() app.Kind {
		t.Helper()
		return app.KindOf(RunJob(context.Background(), d, f.log(), f.job, RunOptions{}))
	}
	statuses := func() []string {
		var out []string
		for _, b := range h.got() {
			var e Event
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e.Status)
		}
		return out
	}

	release := busy()
	f.dropLearners(1, 2)
	for i := range 3 {
		if k := run(); k != app.CannotRun {
			t.Fatalf("run %d while busy: %v, want cannot run\n%s", i+1, k, f.logbuf.String())
		}
	}
	if got := statuses(); strings.Join(got, ",") != "busy" {
		t.Fatalf("three busy runs notified %v, want one busy", got)
	}
	release()
	if k := run(); k != app.OK {
		t.Fatalf("the run that gets through: %v\n%s", k, f.logbuf.String())
	}
	release = busy()
	defer release()
	f.dropLearners(3)
	for range 2 {
		run()
	}
	if got := statuses(); strings.Join(got, ",") != "busy,done,busy" {
		t.Errorf("notified %v, want busy (first spell), done, busy (second spell)", got)
	}
	if !strings.Contains(f.logbuf.String(), "busy again: not notified") {
		t.Errorf("the log does not say a busy run was not notified:\n%s", f.logbuf.String())
	}
}
