package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV with a header and no data rows still reports what is wrong with its header: the
// problems travel with the table, not with a first data row that never comes.
func TestHeaderOnlyCSVReportsHeaderProblems(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "staff.csv")
	if err := os.WriteFile(in, []byte("\r\nFirstName,LastName,Email,Role,Not\x81es\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "rep")
	code, _, stderr := runBulk(t, nil, "validate", "--kind", "onefile-users", "--report", rep, in)
	// A header and no rows is not a run with nothing to do: empty-input, exit 1.
	if code != ExitRejected || !strings.Contains(stderr, "0 rows: 0 valid, 0 rejected, 2 warnings") ||
		!strings.Contains(stderr, "staff.csv has a header row but no data rows") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	f, err := os.Open(filepath.Join(rep, "rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs[1:] {
		if r[5] == "encoding" {
			found = true
			if r[2] != "2" || r[3] != "Not\uFFFDes" || r[6] != "warning" || !strings.HasPrefix(r[7], "In the header row: ") {
				t.Errorf("header problem %q, want a warning on row 2, column Not\uFFFDes", r)
			}
		}
	}
	if !found {
		t.Errorf("the header's bad byte is not in rejects.csv: %q", recs)
	}
}

// TestEmptyInputs: an empty file, a header-only file and a workbook with no data rows each end
// with one empty-input problem and exit 1, with or without --kind; never exit 0 or "no kind".
func TestEmptyInputs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"empty.csv": "", "blank-lines.csv": "\r\n\r\n", "header-only.csv": "FirstName,LastName,Email,Role\r\n"}
	for name, body := range files {
		for _, kind := range [][]string{nil, {"--kind", "onefile-users"}} {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			rep := filepath.Join(dir, "rep-"+name)
			args := append(append([]string{"validate", "--report", rep}, kind...), path)
			code, _, stderr := runBulk(t, nil, args...)
			if code != ExitRejected || !strings.Contains(stderr, name) || !strings.Contains(stderr, "nothing to check or load") {
				t.Errorf("%v: exit %d, want 1 with an empty-input message\n%s", args, code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(rep, "rejects.csv"))
			if err != nil || strings.Count(string(b), ",empty-input,") != 1 {
				t.Errorf("%v: rejects.csv should hold one empty-input problem: %v\n%s", args, err, b)
			}
		}
	}
}
