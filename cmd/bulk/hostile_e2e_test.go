package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline/read/hostile"
)

// hostileVM is the address space the binary runs in (ulimit -v, KiB). Go's runtime reserves
// about 1.2 GB of address space before it allocates anything, so the limit sits a little above
// that: a run that held even a few hundred megabytes more than it should would die, and the
// 24 GB a row numbered 10^12 once cost is far out of reach.
const hostileVM = 2_500_000

// TestHostileE2E runs the built binary on each hostile workbook under a memory and a time
// limit: each must end with exit 1 (the bad row rejected, the report written) or 2 (the
// workbook refused with a message that says why), never a crash or success.
func TestHostileE2E(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	dir := t.TempDir()
	bin := buildBulk(t)
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			path := filepath.Join(dir, c.Name+".xlsx")
			if err := c.Write(path); err != nil {
				t.Fatal(err)
			}
			code, stderr, report := runBounded(t, bin, "validate", "--kind", "onefile-users", path)
			want := 1
			if c.Outcome == hostile.Refused {
				want = 2
			}
			if code != want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, want, stderr)
			}
			if strings.Contains(stderr, "fatal error") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("crashed:\n%s", stderr)
			}
			if c.Outcome == hostile.Refused {
				if !strings.Contains(stderr, c.Says) || !strings.Contains(stderr, c.Name+".xlsx") {
					t.Errorf("stderr does not name the file and say %q:\n%s", c.Says, stderr)
				}
				return
			}
			rejects, err := os.ReadFile(filepath.Join(report, "rejects.csv"))
			if err != nil || !bytes.Contains(rejects, []byte(","+c.Rule+",error,")) {
				t.Errorf("rejects.csv has no %s error (%v):\n%.2000s", c.Rule, err, rejects)
			}
			if _, err := os.Stat(filepath.Join(report, "rejects.xlsx")); err != nil {
				t.Errorf("no rejects.xlsx: %v; stderr:\n%s", err, stderr)
			}
		})
	}

	// --max-part-size lets a trusted workbook through the bomb check; the cell that made it a
	// bomb is still too long for a spreadsheet, and memory stays bounded while reading 268 MB.
	t.Run("zip-bomb with --max-part-size", func(t *testing.T) {
		path := filepath.Join(dir, "zip-bomb.xlsx")
		code, stderr, report := runBounded(t, bin, "validate", "--kind", "onefile-users", "--max-part-size", "4GiB", path)
		rejects, _ := os.ReadFile(filepath.Join(report, "rejects.csv"))
		if code != 1 || !bytes.Contains(rejects, []byte(",max-length,error,")) {
			t.Errorf("exit %d; stderr:\n%s\nrejects:\n%.1000s", code, stderr, rejects)
		}
	})
	t.Run("bad --max-part-size", func(t *testing.T) {
		code, stderr, _ := runBounded(t, bin, "validate", "--max-part-size", "lots", filepath.Join(dir, "long-cell.xlsx"))
		if code != 2 || !strings.Contains(stderr, "not a size") {
			t.Errorf("exit %d; stderr:\n%s", code, stderr)
		}
	})
}

// runBounded runs the binary with args (after the command, --report DIR) under ulimit -v and a
// minute's deadline, and returns its exit status, stderr and report folder.
func runBounded(t *testing.T, bin, command string, args ...string) (int, string, string) {
	t.Helper()
	report := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	argv := append([]string{"-c", `ulimit -v ` + strconv.Itoa(hostileVM) + ` && exec "$0" "$@"`, bin, command, "--report", report}, args...)
	cmd := exec.CommandContext(ctx, "bash", argv...)
	cmd.Env = append(os.Environ(), "TERM=dumb")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("still running after a minute; stderr:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String(), report
	case err != nil:
		t.Fatalf("running bulk: %v", err)
	}
	return 0, stderr.String(), report
}
