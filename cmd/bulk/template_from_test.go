package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// TestTemplateFromNoNames: --from fills OneFile's names into the columns that take them; a kind
// with no such column (a PeopleFluent one) is refused saying which kinds take them, instead of
// announcing drop-downs of names the template then does not have.
func TestTemplateFromNoNames(t *testing.T) {
	box, url := startBox(t, sandbox.Config{RateLimit: 100000})
	dir := t.TempDir()
	env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	pulled := filepath.Join(dir, "pulled.xlsx")
	if code, _, stderr := bulkRun(t, env, "pull", "onefile", "--url", url, "--org", "5740", "-o", pulled, "--rate", "100000"); code != 0 {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "th.xlsx")
	code, _, stderr := bulkRun(t, env, "template", "training-history", "--from", pulled, "-o", out)
	if code != ExitCannotRun || strings.Contains(stderr, "Drop-downs of the target's names") || !strings.Contains(stderr, "onefile-users") {
		t.Errorf("template training-history --from: exit %d, want %d naming the kinds that take names\n%s", code, ExitCannotRun, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the template was written anyway")
	}
	// The kinds with name columns still get them.
	for _, k := range []string{"onefile-users", "onefile-assignments"} {
		if code, _, stderr := bulkRun(t, env, "template", k, "--from", pulled, "-o", filepath.Join(dir, k+".xlsx")); code != 0 || !strings.Contains(stderr, "Drop-downs") {
			t.Errorf("template %s --from: exit %d\n%s", k, code, stderr)
		}
	}
}
