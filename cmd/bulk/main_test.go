package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/slowtest"
)

// TestMain points $XDG_STATE_HOME at a temporary folder for the whole package: a test that
// loads or pushes without --state would otherwise write the OneFile run ledger and the
// PeopleFluent push ledger under the real home, and a later test run of the same payload to a
// reused port would resume that push. Tests that need a state folder of their own still set
// one (t.Setenv, --state).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bulk-test-state-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot make a temporary state folder:", err)
		os.Exit(2)
	}
	if err := os.Setenv("XDG_STATE_HOME", dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = filepath.Join(dir, "bin")
	code := pgtest.Main(m) // m.Run, then stops a PostgreSQL the tests started
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var (
	binDir   string // under TestMain's temporary folder
	binMu    sync.Mutex
	binBuilt = map[string]string{} // build tags → the binary built with them
)

// buildBulk builds the real binary (with the given build tags) once per test run, for the tests
// that run it as a user would: as a process, killed, signalled, under ulimit.
func buildBulk(t *testing.T, tags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	slowtest.Need(t, "builds and runs the bulk binary")
	key := strings.Join(tags, ",")
	binMu.Lock()
	defer binMu.Unlock()
	if bin, ok := binBuilt[key]; ok {
		return bin
	}
	bin := filepath.Join(binDir, "bulk"+strings.ReplaceAll(key, ",", "-"))
	// The flags and environment of scripts/release.sh (cgo off, -trimpath, no profile, no VCS
	// stamp, GOFLAGS ignored): the packages it compiles are the ones the release test compiles,
	// so a cold build cache compiles bulk's dependencies once for both, not twice.
	args := []string{"build", "-trimpath", "-pgo=off", "-buildvcs=false", "-o", bin}
	if key != "" {
		args = append(args, "-tags", key)
	}
	build := exec.Command("go", append(args, ".")...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binBuilt[key] = bin
	return bin
}

// killMidway starts cmd and SIGKILLs it as soon as going says the run is under way (a minute at
// most), as a crash or an impatient operator would: the tests of never-twice and of logins kept
// then run the same command again.
func killMidway(t *testing.T, cmd *exec.Cmd, stderr fmt.Stringer, going func() bool) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !going() {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the run did not get going; stderr:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}
