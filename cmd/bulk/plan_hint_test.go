package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// TestPlanHintRunsAsPrinted: the apply command a dry run prints can be pasted as it is: the
// plan's path quoted when it has a space, and the run's --state given again (apply without it
// would use another ledger: on a shared PostgreSQL one, not the one other machines see). A
// postgres:// --state is not printed (it may hold a password); the hint says to give it.
func TestPlanHintRunsAsPrinted(t *testing.T) {
	box, url := startBox(t, sandbox.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", "Role,FirstName,LastName,Email,MISID\n5,New,Person,new.person@northfield.example,NEW-9\n")
	rep := filepath.Join(dir, "my report")
	state := filepath.Join(dir, "shared ledger.db")
	env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	code, _, stderr := bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--dry-run", "--state", state, "--report", rep, in)
	want := "bulk apply " + app.ShellQuote(filepath.Join(rep, "plan.json")) + " --state " + app.ShellQuote(state)
	if code != ExitOK || !strings.Contains(stderr, want) {
		t.Fatalf("dry run: exit %d; want the hint %q\n%s", code, want, stderr)
	}
	code, _, stderr = bulkRun(t, env, "apply", "--report", rep, "--state", state, filepath.Join(rep, "plan.json"))
	if code != ExitOK || !strings.Contains(stderr, "1 created") {
		t.Fatalf("apply as printed: exit %d\n%s", code, stderr)
	}
}
