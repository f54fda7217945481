package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline/report"
)

// TestCSVBOMFlag: rejects.csv starts with a UTF-8 byte order mark (Excel on Windows then shows
// "Adébáyọ̀" and "李" as they are) unless --csv-bom=false asks for plain UTF-8, for scripts.
func TestCSVBOMFlag(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "staff.csv")
	if err := os.WriteFile(in, []byte("Role,FirstName,LastName,Email,MISID\r\nAssessor,Adébáyọ̀,李,not-an-email,S1\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		bom   bool
	}{
		{nil, true},
		{[]string{"--csv-bom"}, true},
		{[]string{"--csv-bom=true"}, true},
		{[]string{"--csv-bom=false"}, false},
	} {
		rep := filepath.Join(t.TempDir(), "rep")
		args := append([]string{"validate", "--kind", "onefile-users", "--report", rep}, tc.flags...)
		code, _, stderr := runBulk(t, nil, append(args, in)...)
		if code != ExitRejected {
			t.Fatalf("%v: exit %d\n%s", tc.flags, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(rep, "rejects.csv"))
		if err != nil {
			t.Fatal(err)
		}
		text, bom := strings.CutPrefix(string(b), report.BOM)
		if bom != tc.bom || !strings.HasPrefix(text, "file,sheet,row,") || !strings.Contains(text, "not-an-email") {
			t.Errorf("%v: rejects.csv has BOM %v, want %v:\n%q", tc.flags, bom, tc.bom, b)
		}
	}
	if code, _, stderr := runBulk(t, nil, "validate", "--csv-bom=maybe", in); code != ExitCannotRun {
		t.Errorf("--csv-bom=maybe: exit %d\n%s", code, stderr)
	}
}
