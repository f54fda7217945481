//go:build unix

// (unix only: peak memory is read with getrusage, which Windows does not have.)

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bulkload/bulk/pipeline/report"
)

// TestManyProblemsBoundedMemory: a CSV of 1M copies of one learner row makes a duplicate
// problem on every row but the first. The report keeps report.DefaultMaxProblems of them in
// detail and counts the rest: the built binary's peak RSS stays bounded, problems_by_rule and
// rows_rejected stay exact, and rejects.csv ends saying how many were not listed.
func TestManyProblemsBoundedMemory(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	dir := t.TempDir()
	const rows = 1_000_000 // under Excel's 1,048,576 rows, so rejects.xlsx can hold every rejected row
	in := filepath.Join(dir, "hostile.csv")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("Role,FirstName,LastName,Email,MISID\n")
	for range rows {
		w.WriteString("5,Ada,Stone,ada@x.example,S1\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rep := filepath.Join(dir, "r")
	cmd := exec.Command(bin, "validate", "--quiet", "--report", rep, in)
	// On a loaded machine (the whole suite in parallel, as CI runs it) the collector falls behind
	// and RSS says more about the load than about bulk: a soft memory limit makes the GC keep up.
	// Unbounded, the problems alone need over 2 GB, which no GC setting hides.
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=256MiB")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != ExitRejected {
		t.Fatalf("exit %v, want %d\n%s", err, ExitRejected, out)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024 // KiB on Linux
	t.Logf("peak RSS %d MiB", rss)
	if rss > 800 {
		t.Errorf("peak RSS %d MiB, want under 800: the problems are not bounded", rss)
	}
	var s report.Summary
	b, _ := os.ReadFile(filepath.Join(rep, "summary.json"))
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	const problems = 2 * (rows - 1) // Email and MISID both repeat
	if s.ProblemsByRule["duplicate"] != problems || s.RowsRejected != rows-1 || s.ProblemsNotListed != problems-report.DefaultMaxProblems {
		t.Errorf("summary: duplicates %d, rejected %d, not listed %d", s.ProblemsByRule["duplicate"], s.RowsRejected, s.ProblemsNotListed)
	}
	csvb, err := os.ReadFile(filepath.Join(rep, "rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(csvb), "\r\n"), "\r\n")
	last := lines[len(lines)-1]
	if len(lines) != report.DefaultMaxProblems+2 || !strings.Contains(last, fmt.Sprint(problems-report.DefaultMaxProblems)+" more problems were not listed") {
		t.Errorf("rejects.csv: %d lines, last %q", len(lines), last)
	}
}
