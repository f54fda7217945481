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
	if code != ExitOK || !strings.Contains(stderr, "0 rows: 0 valid, 0 rejected, 2 warnings") {
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
