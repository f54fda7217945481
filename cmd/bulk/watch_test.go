package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/nightly"
)

// waitFor polls cond until it holds or the deadline passes, failing the test with what.
func waitFor(t *testing.T, what string, cond func() bool, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunWatch runs the built binary as a service would: 'bulk run --watch' on an empty drop
// folder, with a short --interval. Each file dropped while it runs (written as .part and renamed,
// as exporters do, so it is fresh and must settle first) is processed and archived while the
// watch keeps going; a signal (Ctrl-C's SIGINT, or systemd's SIGTERM) stops it while it waits,
// with the status that matters most among the files it processed, the job's lock released.
func TestRunWatch(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	t.Run("interval not positive", func(t *testing.T) { watchIntervalRefused(t, bin) })
	const header = "FirstName,LastName,Email,Role\n"
	good := header + "Ann,Lee,ann@example.ac.uk,5\nBo,Ng,bo@example.ac.uk,5\n"
	bad := header + "Cy,Lo,not-an-email,5\n"
	tests := []struct {
		name     string
		drops    []string // CSV files dropped one after another
		outcomes []string // where each ends under archive/
		sig      syscall.Signal
		code     int
	}{
		{"two good files, Ctrl-C", []string{good, good}, []string{"done", "done"}, syscall.SIGINT, ExitOK},
		{"a rejected row, then a good file, SIGTERM", []string{bad, good}, []string{"failed", "done"}, syscall.SIGTERM, ExitRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			if err := os.MkdirAll(in, 0o755); err != nil {
				t.Fatal(err)
			}
			job := filepath.Join(dir, "job.yaml")
			if err := os.WriteFile(job, []byte("name: learners\ninputs: {folder: in, settle: 300ms}\nkind: onefile-users\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "run", "--watch", "--interval", "50ms", "--log-format", "json", job)
			cmd.Env = append(os.Environ(), "BULK_STATE_DIR="+filepath.Join(dir, "state"), "XDG_STATE_HOME="+filepath.Join(dir, "xdg"))
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() {
				if cmd.ProcessState == nil {
					cmd.Process.Kill()
					<-exited
				}
			})
			lockPath := filepath.Join(in, "archive", "learners.lock")
			waitFor(t, "the watch to take the job's lock", func() bool { _, err := os.Stat(lockPath); return err == nil }, stderr)

			for i, csv := range tc.drops {
				name := "export-" + string(rune('a'+i)) + ".csv"
				part := filepath.Join(in, name+".part")
				if err := os.WriteFile(part, []byte(csv), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(part, filepath.Join(in, name)); err != nil {
					t.Fatal(err)
				}
				archived := filepath.Join(in, "archive", tc.outcomes[i], "*-"+name)
				waitFor(t, name+" in archive/"+tc.outcomes[i], func() bool {
					m, _ := filepath.Glob(archived)
					return len(m) == 1
				}, stderr)
				select {
				case err := <-exited:
					t.Fatalf("the watch exited after %s: %v\n%s", name, err, stderr)
				case <-time.After(150 * time.Millisecond): // three intervals: still polling
				}
			}

			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10s after %v\n%s", tc.sig, stderr)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit %d after %v, want %d\n%s", code, tc.sig, tc.code, stderr)
			}

			// One "run finished" log line a file, with its outcome, in the order dropped.
			var finished []string
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("log line is not JSON: %q", line)
					continue
				}
				if rec["msg"] == "run finished" {
					finished = append(finished, rec["status"].(string))
				}
			}
			if strings.Join(finished, ",") != strings.Join(tc.outcomes, ",") {
				t.Errorf("runs finished %q, want %q\n%s", finished, tc.outcomes, stderr)
			}
			left, _ := filepath.Glob(filepath.Join(in, "processing", "*"))
			if len(left) > 0 {
				t.Errorf("files left in processing/: %q", left)
			}
			lock, err := nightly.Acquire(lockPath)
			if err != nil {
				t.Fatalf("the job's lock was not released: %v", err)
			}
			lock.Release()
		})
	}
}

// watchIntervalRefused: an --interval that is not positive would poll the folder in a busy
// loop; it is refused (exit 2) before the job is touched. The binary runs under a timeout, so a
// watch that does start fails the test instead of hanging it.
func watchIntervalRefused(t *testing.T, bin string) {
	dir := t.TempDir()
	job := filepath.Join(dir, "job.yaml")
	if err := os.MkdirAll(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(job, []byte("name: learners\ninputs: {folder: in}\nkind: onefile-users\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, iv := range []string{"0s", "-5s"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, bin, "run", "--watch", "--interval", iv, job)
		cmd.Env = append(os.Environ(), "BULK_STATE_DIR="+filepath.Join(dir, "state"))
		out, _ := cmd.CombinedOutput()
		cancel()
		if code := cmd.ProcessState.ExitCode(); code != ExitCannotRun || !strings.Contains(string(out), "--interval "+iv) {
			t.Errorf("--interval %s: exit %d (ctx %v)\n%s", iv, code, ctx.Err(), out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "in", "archive")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run created the archive folder (%v)", err)
	}
}
