package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBulk runs the command line in-process and returns its exit status and stderr.
func runBulk(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code := run(args, newApp(strings.NewReader(""), &out, &errb))
	return code, out.String(), errb.String()
}

func TestRunJobHoldsThenApproves(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	job := filepath.Join(dir, "job.yaml")
	os.WriteFile(job, []byte("name: learners\ninputs: {folder: in, settle: 1s}\nkind: onefile-users\nthresholds: {max_new: 2}\n"), 0o644)
	env := map[string]string{"BULK_STATE_DIR": filepath.Join(dir, "state")}
	csv := "FirstName,LastName,Email,Role\nAnn,Lee,ann@example.ac.uk,5\nBo,Ng,bo@example.ac.uk,5\nCy,Lo,cy@example.ac.uk,5\n"
	drop := filepath.Join(in, "staff.csv")
	os.WriteFile(drop, []byte(csv), 0o644)

	// Not yet settled: left alone.
	if code, _, stderr := runBulk(t, env, "run", "--once", job); code != 0 || !strings.Contains(stderr, "not yet stable") {
		t.Fatalf("fresh file: exit %d, %s", code, stderr)
	}
	old := time.Now().Add(-time.Minute)
	os.Chtimes(drop, old, old)

	code, _, stderr := runBulk(t, env, "run", "--once", "--log-format", "json", job)
	if code != ExitHeld {
		t.Fatalf("3 new rows against max_new 2: exit %d, want %d\n%s", code, ExitHeld, stderr)
	}
	held, _ := filepath.Glob(filepath.Join(in, "archive", "held", "*-staff.csv"))
	if len(held) != 1 {
		t.Fatalf("held/ holds %v", held)
	}
	if _, err := os.Stat(drop); !os.IsNotExist(err) {
		t.Fatal("the held file is still in the drop folder")
	}
	runID := strings.TrimSuffix(filepath.Base(held[0]), "-staff.csv")
	if !strings.Contains(stderr, "bulk approve "+runID) {
		t.Errorf("the log does not say how to approve:\n%s", stderr)
	}

	code, _, stderr = runBulk(t, env, "approve", "--yes", runID)
	if code != 0 {
		t.Fatalf("approve: exit %d\n%s", code, stderr)
	}
	done, _ := filepath.Glob(filepath.Join(in, "archive", "done", "*-staff.csv"))
	if len(done) != 1 {
		t.Fatalf("done/ holds %v", done)
	}
	if code, _, stderr = runBulk(t, env, "approve", runID); code != ExitCannotRun || !strings.Contains(stderr, "not held") {
		t.Errorf("approving twice: exit %d, %s", code, stderr)
	}
}

func TestRunJobCheck(t *testing.T) {
	dir := t.TempDir()
	job := filepath.Join(dir, "job.yaml")
	os.WriteFile(job, []byte("inputs: {folder: nowhere}\ntarget: {type: onefile}\n"), 0o644)
	code, _, stderr := runBulk(t, nil, "run", "--check", job)
	if code != ExitCannotRun {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"inputs.folder", "target.url", "token_file"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--check does not mention %s:\n%s", want, stderr)
		}
	}
}
