//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/bench/learners"
)

// End-to-end tests of the real binary for what only a process shows: the exit status of a
// crash (4), and that SIGTERM stops a long step within a couple of seconds (130).

// panicSecret is catalog.CrashTestSecret (which only a bulkcrashtest build has):
// data a panic's value carries, that must reach neither stderr nor the crash file.
const panicSecret = "tok-CRASHTEST-4b1d"

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running bulk: %v", err)
	return -1
}

func TestCrashExitsFour(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t, "bulkcrashtest")
	dir := t.TempDir()
	input := filepath.Join(dir, "keys.csv")
	var b strings.Builder
	b.WriteString("Key\n")
	for i := range 5000 {
		if i == 3000 {
			b.WriteString("panic\n")
		}
		fmt.Fprintf(&b, "k%d\n", i)
	}
	if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		where string // in the crash file
		panic string // the panic line of the crash file
		file  string // the hook's source file, named by the stack
	}{
		{"panic in a row-check worker", []string{"validate", "--kind", "crash-test", "--report", filepath.Join(dir, "report"), input},
			"while checking rows", "panic: a value of type string (not written: it may hold data)", "catalog/crashtest.go"},
		{"panic in the command", []string{"crash-test"},
			"while running the command", "panic: assignment to entry in nil map", "crashtest_hooks.go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "TERM=dumb")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if code := exitCode(t, cmd.Run()); code != ExitCrashed {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, ExitCrashed, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("a crash wrote to stdout: %q", stdout.String())
			}
			msg := strings.TrimSuffix(stderr.String(), "\n")
			m := regexp.MustCompile(`^bulk crashed: an internal error; details in (\S+) — please report it$`).FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("stderr is not the one-line crash message:\n%s", stderr.String())
			}
			if filepath.Dir(m[1]) != tmp {
				t.Errorf("crash file %s is not in the temporary folder %s", m[1], tmp)
			}
			st, err := os.Stat(m[1])
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("crash file mode %v, want 0600", st.Mode().Perm())
			}
			data, err := os.ReadFile(m[1])
			if err != nil {
				t.Fatal(err)
			}
			details := string(data)
			for _, want := range []string{tc.where, tc.panic, "goroutine ", tc.file} {
				if !strings.Contains(details, want) {
					t.Errorf("the crash file does not say %q:\n%s", want, details)
				}
			}
			if strings.Contains(details+stderr.String(), panicSecret) {
				t.Errorf("the panic's value reached the crash file or stderr:\n%s", details)
			}
		})
	}
}

// waitExit waits at most d for cmd to end and returns its exit status, or kills it and fails.
func waitExit(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, d time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(t, err), time.Since(start)
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("bulk was still running %v after SIGTERM; stderr:\n%s", d, stderr.String())
		return -1, 0
	}
}

// TestSIGTERMStopsLongSteps: SIGTERM during a header map that is still being read (from a pipe
// that never ends, as a slow network drive would be), and during a validate whose report has
// 200,000 rejected rows to write, ends bulk with 130 within a couple of seconds.
func TestSIGTERMStopsLongSteps(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t, "bulkcrashtest")
	dir := t.TempDir()
	small := filepath.Join(dir, "small.csv")
	if err := os.WriteFile(small, []byte("Key\na\nb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "map.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Every row rejected (a bad e-mail), so the report (rejects.csv, rejects.xlsx reading the
	// file again) is the long part: it took 16 s before it watched the context.
	var buf bytes.Buffer
	if err := learners.Write(&buf, 200000, 1); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "learners.csv")
	if err := os.WriteFile(big, bytes.ReplaceAll(buf.Bytes(), []byte("@"), []byte("@@")), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		start func(t *testing.T) // what happens once bulk runs, before the signal
		after time.Duration      // how long bulk runs before the signal
	}{
		{"header map still being read", []string{"validate", "--kind", "crash-test", "--map", fifo, "--report", filepath.Join(dir, "r1"), small},
			func(t *testing.T) {
				// O_RDWR opens a FIFO without waiting for the other end; bulk's read then never
				// sees the end of the file.
				w, err := os.OpenFile(fifo, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { w.Close() })
				if _, err := w.WriteString("Learner Key: Key\n"); err != nil {
					t.Fatal(err)
				}
			}, 500 * time.Millisecond},
		{"validate writing a big report", []string{"validate", "--kind", "onefile-users", "--report", filepath.Join(dir, "r2"), big},
			func(*testing.T) {}, 500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), "TERM=dumb")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			tc.start(t)
			time.Sleep(tc.after)
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatalf("bulk ended before the signal: %v; stderr:\n%s", err, stderr.String())
			}
			code, took := waitExit(t, cmd, &stderr, 3*time.Second)
			if code != ExitInterrupted {
				t.Fatalf("exit status %d, want %d (did bulk finish before the signal?); stderr:\n%s", code, ExitInterrupted, stderr.String())
			}
			t.Logf("exited %v after SIGTERM", took)
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say bulk was interrupted:\n%s", stderr.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "r2", "summary.json")); errors.Is(err, fs.ErrNotExist) {
		t.Error("an interrupted validate wrote no summary.json")
	}
}
