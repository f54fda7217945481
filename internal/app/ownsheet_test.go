package app

import (
	"bytes"
	"context"
	"path/filepath"
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
	data := template.DataSheet(k)
	hdr, _ := f.GetRows(data)
	row := make([]string, len(hdr[0]))
	for i, h := range hdr[0] {
		switch h {
		case "Role":
			row[i] = "Assessor"
		case "FirstName":
			row[i] = "Ann"
		case "LastName":
			row[i] = "Lee"
		case "Email":
			row[i] = "ann@example.ac.uk"
		case "MISID":
			row[i] = "S1"
		}
	}
	if err := f.SetSheetRow(data, "A2", &row); err != nil {
		t.Fatal(err)
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
	if strings.Contains(stderr.String(), template.ReadMeSheet) || !strings.Contains(stderr.String(), "sheet Notes: skipped") {
		t.Errorf("stderr names the Read me sheet, or not the Notes sheet:\n%s", stderr.String())
	}
	if out.Counts.Read != 1 {
		t.Errorf("read %d rows, want 1\n%s", out.Counts.Read, stderr.String())
	}
}
