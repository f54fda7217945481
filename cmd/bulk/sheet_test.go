package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSheetWithCSV: --sheet names a sheet of a workbook; a CSV file has none, so the flag does
// not apply to it. That is a warning naming the file, not an error: a job may pass the same
// flags for a mix of CSV and XLSX inputs, and the CSV is read whole.
func TestSheetWithCSV(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "staff.csv", "FirstName,LastName,Email,Role\nAnn,Lee,ann@example.ac.uk,5\n")
	wb := filepath.Join("..", "..", "samples", "term-start.xlsx")
	warning := "bulk: --sheet Learners is ignored for " + csv + ": a CSV file has no sheets."
	tests := []struct {
		name   string
		args   []string
		warned bool
		read   string // the summary line's start, when set: what was read
	}{
		{"a CSV file", []string{"--kind", "onefile-users", "--sheet", "Learners", csv}, true, "1 row: 1 valid"},
		{"a CSV file and a workbook", []string{"--sheet", "Learners", wb, csv}, true, ""},
		{"a workbook", []string{"--sheet", "Learners", wb}, false, ""},
		{"a CSV file, no --sheet", []string{"--kind", "onefile-users", csv}, false, "1 row: 1 valid"},
		{"a CSV file, -q", []string{"-q", "--kind", "onefile-users", "--sheet", "Learners", csv}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"validate", "--report", filepath.Join(t.TempDir(), "report")}, tc.args...)
			code, _, stderr := runBulk(t, nil, args...)
			if code == ExitCannotRun {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if got := strings.Count(stderr, warning); got != map[bool]int{true: 1, false: 0}[tc.warned] {
				t.Errorf("the warning is there %d times, want it: %v\n%s", got, tc.warned, stderr)
			}
			if strings.Contains(stderr, "is ignored for "+wb) {
				t.Errorf("--sheet said to be ignored for the workbook:\n%s", stderr)
			}
			if !strings.Contains(stderr, tc.read) {
				t.Errorf("stderr lacks %q:\n%s", tc.read, stderr)
			}
		})
	}
}
