package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestValidateWorkbookRoundTrip drives 'bulk validate' over a workbook LibreOffice wrote: the
// rejected row lands in rejects.xlsx, which the summary line names; fixed and given back, it
// validates clean.
func TestValidateWorkbookRoundTrip(t *testing.T) {
	dir := t.TempDir()
	wb := filepath.Join("..", "..", "pipeline", "read", "testdata", "lo-term.xlsx")
	rep := filepath.Join(dir, "bulk-report")
	code, _, stderr := runBulk(t, nil, "validate", "--kind", "onefile-users", "--sheet", "Learners", "--report", rep, wb)
	if code != ExitRejected {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRejected, stderr)
	}
	rejects := filepath.Join(rep, "rejects.xlsx")
	if !strings.Contains(stderr, "5 rows: 4 valid, 1 rejected") || !strings.Contains(stderr, "Report: "+rejects) {
		t.Errorf("summary:\n%s", stderr)
	}

	// The ULN pasted as 1.23457E+09 is the bad cell: type the real one over it.
	f, err := excelize.OpenFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("Learners", "F2"); v != "1.23457E+09" {
		t.Fatalf("F2 = %q", v)
	}
	f.SetCellValue("Learners", "F2", "1000000078")
	fixed := filepath.Join(dir, "fixed.xlsx")
	if err := f.SaveAs(fixed); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// 3 warnings: the columns Enrolled, Fee and Active, which onefile-users does not know; the
	// Problems column is not one of them.
	code, _, stderr = runBulk(t, nil, "validate", "--kind", "onefile-users", "--report", rep, fixed)
	if code != ExitOK || !strings.Contains(stderr, "1 row: 1 valid, 0 rejected, 3 warnings") {
		t.Fatalf("fixed workbook: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(rejects); !os.IsNotExist(err) {
		t.Errorf("the old rejects.xlsx is still there after a clean run (%v)", err)
	}
}
