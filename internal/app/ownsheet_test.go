package app

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/internal/catalog"
)

// TestOwnSheetsAreQuiet: a filled-in template validated back does not say its Read me sheet
// was "skipped: its headers match no kind", and neither does a rejects.xlsx given back say so
// of its Warnings sheet: they are bulk's own notes, recorded in the summary only. A user's
// sheet that matches no kind is still reported.
func TestOwnSheetsAreQuiet(t *testing.T) {
	k, err := catalog.KindByName("onefile-users")
	if err != nil {
		t.Fatal(err)
	}
	f, err := template.Build(k)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The template's Staff and Learners sheets each have the columns their rows use; a tutor
	// on one and a learner on the other are both read as onefile-users rows.
	rows := map[string]map[string]string{
		"Staff": {"Role": "Assessor", "FirstName": "Ann", "LastName": "Lee", "Email": "ann@example.ac.uk", "MISID": "S1"},
		"Learners": {"Role": "Learner", "FirstName": "Bo", "LastName": "Ng", "Email": "bo@example.ac.uk", "MISID": "L1",
			"DefaultAssessorMISID": "S1", "ClassroomName": "Business L3", "PlacementName": "Acme Ltd"},
	}
	if got := template.SheetList(k, "and"); got != "Staff and Learners" {
		t.Fatalf("data sheets %q, want Staff and Learners", got)
	}
	for sheet, vals := range rows {
		hdr, err := f.GetRows(sheet)
		if err != nil || len(hdr) != 1 {
			t.Fatalf("sheet %s: %q, %v", sheet, hdr, err)
		}
		if has := slices.Contains(hdr[0], "ClassroomName"); has != (sheet == "Learners") {
			t.Errorf("sheet %s has a ClassroomName column: %v", sheet, has)
		}
		if !slices.Contains(hdr[0], "PlacementName") { // employers and observers have a placement too
			t.Errorf("sheet %s has no PlacementName column", sheet)
		}
		row := make([]string, len(hdr[0]))
		for i, h := range hdr[0] {
			row[i] = vals[h]
		}
		if err := f.SetSheetRow(sheet, "A2", &row); err != nil {
			t.Fatal(err)
		}
	}
	// A sheet of the user's that holds no kind's rows: still told.
	if _, err := f.NewSheet("Notes"); err != nil {
		t.Fatal(err)
	}
	f.SetCellStr("Notes", "A1", "Phone the college on Monday")
	dir := t.TempDir()
	path := filepath.Join(dir, "filled.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	out, err := Validate(context.Background(), Deps{Stderr: &stderr}, InputOptions{Files: []string{path}, ReportDir: filepath.Join(dir, "r")})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, template.ReadMeSheet) || strings.Contains(s, "sheet "+template.ListsSheet) || !strings.Contains(s, "sheet Notes: skipped") {
		t.Errorf("stderr names the Read me or Lists sheet, or not the Notes sheet:\n%s", s)
	}
	if out.Counts.Read != 2 || out.Counts.Rejected != 0 {
		t.Errorf("read %+v, want 2 valid rows\n%s", out.Counts, stderr.String())
	}
}
