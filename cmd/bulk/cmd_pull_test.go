package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// bulk pull onefile writes a workbook (and --csv one CSV per sheet) that bulk load onefile
// reads back without a write call, and that bulk template --from turns into drop-downs.
func TestPullOnefileCmd(t *testing.T) {
	box, url := startBox(t, sandbox.Config{Keychain: true, RateLimit: 100000})
	dir := t.TempDir()
	env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	out := filepath.Join(dir, "pulled.xlsx")
	code, _, stderr := bulkRun(t, env, "pull", "onefile", "--url", url, "--org", "5740", "-o", out, "--csv", filepath.Join(dir, "csv"), "--rate", "100000")
	if code != 0 || !strings.Contains(stderr, "Wrote "+out) {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	for _, f := range []string{out, filepath.Join(dir, "csv", "Learners.csv")} {
		if st, err := os.Stat(f); err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v: personal data must be the owner's only", f, err, st.Mode())
		}
	}
	learners, err := os.ReadFile(filepath.Join(dir, "csv", "Learners.csv"))
	if err != nil || !strings.Contains(string(learners), "1,Sam,Carter,sam.carter@learner.example,L-0001,1010,5740,1001,101,201,1005") {
		t.Errorf("Learners.csv: %v\n%s", err, learners)
	}
	if _, err := os.Stat(filepath.Join(dir, "csv", "User-IDs.csv")); err == nil {
		t.Errorf("a separate CSV of user IDs was written: each users row carries its OneFileID")
	}
	if code, _, stderr := bulkRun(t, env, "pull", "onefile", "--url", url, "--org", "5740", "-o", out); code != 2 || !strings.Contains(stderr, "already exists") {
		t.Errorf("a second pull to the same file: exit %d\n%s", code, stderr)
	}
	before := box.Snapshot().Calls
	code, _, stderr = bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--mode", "upsert", "--rate", "100000", "--report", filepath.Join(dir, "r"), out)
	if code != 0 {
		t.Fatalf("load back: exit %d\n%s", code, stderr)
	}
	after := box.Snapshot().Calls
	for _, ep := range []string{"POST /User", "POST /User/{id}", "POST /User/{id}/Assign"} {
		if after[ep] != before[ep] {
			t.Errorf("loading the pull back called %s %d times", ep, after[ep]-before[ep])
		}
	}
	tmpl := filepath.Join(dir, "learners.xlsx")
	if code, _, stderr := bulkRun(t, env, "template", "onefile-users", "--from", out, "-o", tmpl); code != 0 || !strings.Contains(stderr, "4 classrooms, 4 placements, 2 standards, 5 units, 3 assessors") {
		t.Errorf("template --from: exit %d\n%s", code, stderr)
	}
}
