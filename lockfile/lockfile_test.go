package lockfile

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// When the test binary runs with LOCKFILE_HOLD=PATH it is a holder process: it takes the lock,
// says "held" and waits to be killed (or for its stdin to close).
func TestMain(m *testing.M) {
	if p := os.Getenv("LOCKFILE_HOLD"); p != "" {
		l, err := Acquire(p)
		if err != nil {
			os.Stdout.WriteString("refused: " + err.Error() + "\n")
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // until the parent closes stdin or kills us
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holder starts another process holding the lock at path and returns it once it holds it.
func holder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "hold", "a file with spaces.csv")
	cmd.Env = append(os.Environ(), "LOCKFILE_HOLD="+path)
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "held" {
		t.Fatalf("the holder process said %q (%v)", line, err)
	}
	return cmd
}

// TestHeldByAnotherProcess: a lock another process holds is refused with that process's pid and
// command; once that process is killed with SIGKILL (no chance to release anything) the lock is
// free, and the new holder is told the earlier one died holding it.
func TestHeldByAnotherProcess(t *testing.T) {
	p := filepath.Join(t.TempDir(), "org.lock")
	other := holder(t, p)
	_, err := Acquire(p)
	var he *HeldError
	if !errors.As(err, &he) || !errors.Is(err, ErrLocked) {
		t.Fatalf("Acquire while another process holds it: %v, want a *HeldError", err)
	}
	if he.Holder == nil || he.Holder.PID != other.Process.Pid {
		t.Fatalf("holder %+v, want pid %d", he.Holder, other.Process.Pid)
	}
	if !strings.Contains(he.Holder.Command, `hold "a file with spaces.csv"`) || time.Since(he.Holder.Since) > time.Minute {
		t.Errorf("holder %+v: want its command line, quoted, and a recent time", he.Holder)
	}
	if msg := err.Error(); !strings.Contains(msg, "pid "+strconv.Itoa(other.Process.Pid)) || !strings.Contains(msg, p) {
		t.Errorf("message %q names neither the pid nor the file", msg)
	}

	if err := other.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	other.Wait()
	l, err := Acquire(p)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	defer l.Release()
	if l.Stale == nil || l.Stale.PID != other.Process.Pid {
		t.Errorf("Stale %+v, want the killed pid %d", l.Stale, other.Process.Pid)
	}
}

// TestReleaseAndReacquire: within one process too (each Acquire opens the file anew), a held lock
// is refused, and a released one is free and not reported stale.
func TestReleaseAndReacquire(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job.lock")
	l, err := Acquire(p)
	if err != nil {
		t.Fatal(err)
	}
	if l.Stale != nil {
		t.Errorf("a new lock file looked stale: %+v", l.Stale)
	}
	var he *HeldError
	if _, err := Acquire(p); !errors.As(err, &he) || he.Holder == nil || he.Holder.PID != os.Getpid() {
		t.Fatalf("second Acquire: %v, want held by this process", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(p)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	defer l2.Release()
	if l2.Stale != nil {
		t.Errorf("a released lock looked stale: %+v", l2.Stale)
	}
}

func TestParseHolder(t *testing.T) {
	since := time.Date(2026, 1, 5, 9, 14, 3, 0, time.UTC)
	tests := []struct {
		name string
		text string
		want *Holder
	}{
		{"json", `{"pid":4242,"command":"bulk load onefile --org 5740 a.csv","since":"2026-01-05T09:14:03Z","host":"h1"}` + "\n",
			&Holder{PID: 4242, Command: "bulk load onefile --org 5740 a.csv", Since: since, Host: "h1"}},
		{"json then an older tail", `{"pid":7,"since":"2026-01-05T09:14:03Z"}` + "\n" + `ld text"}`, &Holder{PID: 7, Since: since}},
		{"the first job locks' format", "4242 2026-01-05T09:14:03Z\n", &Holder{PID: 4242, Since: since}},
		{"empty", "", nil},
		{"garbage", "not a lock\n", nil},
		{"json without a pid", `{"command":"x"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseHolder([]byte(tc.text))
			switch {
			case got == nil && tc.want == nil:
			case got == nil || tc.want == nil || got.PID != tc.want.PID || got.Command != tc.want.Command || !got.Since.Equal(tc.want.Since) || got.Host != tc.want.Host:
				t.Errorf("parseHolder(%q) = %+v, want %+v", tc.text, got, tc.want)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"/usr/local/bin/bulk", "load", "onefile", "--org", "5740", "term.xlsx"}, "bulk load onefile --org 5740 term.xlsx"},
		{[]string{"bulk", "load", "onefile", "Term Start.xlsx", ""}, `bulk load onefile "Term Start.xlsx" ""`},
		{[]string{"bulk", "load", "--state", "/home/officer/" + strings.Repeat("d", 400) + "/ledger.db", "/data/in/term.xlsx"},
			"bulk load --state .../ledger.db .../term.xlsx"},
		{[]string{"bulk", strings.Repeat("x", 300), strings.Repeat("y", 300), "term.xlsx"},
			"bulk " + strings.Repeat("x", 195) + " ... " + strings.Repeat("y", 190) + " term.xlsx"},
	}
	for _, tc := range tests {
		if got := commandLine(tc.args); got != tc.want {
			t.Errorf("commandLine(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
