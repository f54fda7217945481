package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestValidateWorkbookDatesE2E: a workbook's date cells on rejected rows are shown in
// rejects.csv as the officer sees them (31/08/2028, month first with --date-order mdy), never
// as the reader holds them (2028-08-31), in values and messages alike.
func TestValidateWorkbookDatesE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	const wb = "pipeline/read/testdata/px-dates.xlsx"
	r := runValidate(t, bin, wb)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	golden(t, "dates/rejects.csv", r.rejects)

	us := runValidate(t, bin, "--date-order", "mdy", wb)
	for _, want := range []string{"PlannedEndDate,09/01/2026,date-order", "PlannedEndDate 09/01/2026 is before StartOn 08/31/2028", "DOB,01/02/2030 09:30,"} {
		if !strings.Contains(string(us.rejects), want) {
			t.Errorf("--date-order mdy: rejects.csv lacks %q:\n%s", want, us.rejects)
		}
	}
	if strings.Contains(string(r.rejects)+string(us.rejects), "2028-08-31") {
		t.Errorf("an ISO date in rejects.csv:\n%s", r.rejects)
	}
}

// TestValidateSameBaseNameE2E: two inputs named staff.csv in different folders are told apart
// in rejects.csv, in rejects.xlsx's sheet names and in the messages that point from one to the
// other, by the shortest end of their paths that differs.
func TestValidateSameBaseNameE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	r := runValidate(t, bin, "cmd/bulk/testdata/twins/autumn/staff.csv", "cmd/bulk/testdata/twins/spring/staff.csv")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	golden(t, "twins/rejects.csv", r.rejects)
	for _, want := range []string{"autumn/staff.csv: read as onefile-users", "spring/staff.csv: read as onefile-users"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	f, err := excelize.OpenFile(filepath.Join(r.reportDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"autumn-staff", "spring-staff"}; !slices.Equal(got, want) {
		t.Errorf("rejects.xlsx sheets %q, want %q", got, want)
	}
}

// TestLoadPeopleFluentFailureColumn: an LMS refusal that names a field ("User ID nobody.here
// does not exist") lands on the input's own column for it, and rejects.xlsx marks that cell
// red with the LMS's words.
func TestLoadPeopleFluentFailureColumn(t *testing.T) {
	_, base, keyFile := loadPFSandbox(t)
	dir := t.TempDir()
	in := expWriteFile(t, dir, "completions.csv", "Login,Learning ID,Completion Date,Status,Action\n"+
		"JSmith,HS-101,05/09/2026,Completed,A\n"+ // row 2: loaded
		"nobody.here,HS-101,05/09/2026,Completed,A\n"+ // row 3: no such user
		"mlee,NO-SUCH-1,06/09/2026,Pass,A\n") // row 4: no such learning module
	rep := filepath.Join(dir, "report")
	code, stderr := expRun(t, "load", "peoplefluent", "training-history", in, "--base", base, "--key-file", keyFile, "--report", rep)
	if code != ExitRejected {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	recs, err := csv.NewReader(expOpen(t, filepath.Join(rep, "rejects.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs[1:] {
		got = append(got, r[2]+" "+r[3]+" "+r[5])
	}
	if want := []string{"3 Login lms-failed", "4 Learning ID lms-failed"}; !slices.Equal(got, want) {
		t.Errorf("rejects.csv rows %q, want %q", got, want)
	}
	f, err := excelize.OpenFile(filepath.Join(rep, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmts, _ := f.GetComments("completions")
	var cells []string
	for _, c := range cmts {
		cells = append(cells, c.Cell)
	}
	if want := []string{"A2", "B3"}; !slices.Equal(cells, want) { // rejects.xlsx's rows 2 and 3
		t.Errorf("comments on %q, want %q", cells, want)
	}
}

// TestValidateCorrectionsE2E: rejects.xlsx records where each of its rows came from (a hidden
// column), so the workbook fixed and given back is read as those rows corrected: alone, its
// messages name the original rows; with the original file, the corrected rows take the
// originals' place, so no duplicate check points at the row being fixed.
func TestValidateCorrectionsE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	dir := t.TempDir()
	staff := filepath.Join(dir, "staff.csv")
	if err := os.WriteFile(staff, []byte("Role,FirstName,LastName,Email,MISID\r\n"+
		"5,Ann,Lee,ann@northfield.example,STF-1\r\n"+
		"5,Bob,,bob@northfield.example,STF-2\r\n"+ // row 3: no last name
		"5,Cy,Ho,cy@northfield,STF-3\r\n"+ // row 4: no domain
		"5,Di,Ma,di@northfield.example,STF-4\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := runValidate(t, bin, staff)
	if first.code != 1 || first.summary["rows_rejected"] != 2.0 {
		t.Fatalf("first run: exit %d, summary %v\n%s", first.code, first.summary, first.stderr)
	}
	// The officer fixes Bob's last name and mistypes Cy's e-mail again, then saves.
	fixed := filepath.Join(dir, "rejects.xlsx")
	f, err := excelize.OpenFile(filepath.Join(first.reportDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStr("staff", "C2", "Bee")
	f.SetCellStr("staff", "D3", "cy@northfield")
	if err := f.SaveAs(fixed); err != nil {
		t.Fatal(err)
	}
	f.Close()

	const want = `Email ""cy@northfield"" has no domain after the @ (such as example.ac.uk). (row 4 of staff.csv, corrected in rejects.xlsx)`
	alone := runValidate(t, bin, fixed)
	if alone.code != 1 || !strings.Contains(string(alone.rejects), want) || alone.summary["rows_read"] != 2.0 {
		t.Errorf("the fixed workbook alone: exit %d, rows_read %v, rejects.csv:\n%s", alone.code, alone.summary["rows_read"], alone.rejects)
	}

	both := runValidate(t, bin, staff, fixed)
	if both.code != 1 || both.summary["rows_read"] != 4.0 || both.summary["rows_rejected"] != 1.0 || len(both.problemsByRule) != 1 {
		t.Errorf("with the original: exit %d, summary %v\n%s", both.code, both.summary, both.rejects)
	}
	if !strings.Contains(string(both.rejects), want) {
		t.Errorf("rejects.csv does not name the original row:\n%s", both.rejects)
	}
	if got, ok := both.summary["replaced_by_corrections"].(map[string]any); !ok || fmt.Sprint(got["staff.csv"]) != "[3 4]" {
		t.Errorf("replaced_by_corrections %v, want staff.csv: [3 4]", both.summary["replaced_by_corrections"])
	}
	if !strings.Contains(both.stderr, "staff.csv: rows 3, 4 not read: they are corrected in the rejects workbook") {
		t.Errorf("stderr does not say which rows gave way:\n%s", both.stderr)
	}
	// Fixed and rejected again, the row still points at the original.
	g, err := excelize.OpenFile(filepath.Join(both.reportDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rows, _ := g.GetRows(g.GetSheetList()[0])
	if len(rows) != 2 || !strings.Contains(strings.Join(rows[1], "|"), `"file":"staff.csv","row":4}`) ||
		!strings.Contains(strings.Join(rows[1], "|"), "Row 4 of staff.csv, corrected in rejects.xlsx") {
		t.Errorf("second rejects.xlsx: %q", rows)
	}
}

// TestValidateTemplateQuietE2E: a template bulk wrote, validated as it is, says nothing of its
// own hidden drop-down lists sheet (summary.json notes it), as it says nothing of its Read me.
func TestValidateTemplateQuietE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	tpl := filepath.Join(t.TempDir(), "t.xlsx")
	if out, err := exec.Command(bin, "template", "onefile-users", "-o", tpl).CombinedOutput(); err != nil {
		t.Fatalf("template: %v\n%s", err, out)
	}
	r := runValidate(t, bin, tpl)
	if strings.Contains(r.stderr, "hides") || strings.Contains(r.stderr, "Lists") || strings.Contains(r.stderr, "Read me") {
		t.Errorf("the template's own sheets are announced:\n%s", r.stderr)
	}
	if got := fmt.Sprint(r.summary["skipped"]); !strings.Contains(got, "sheet Lists: not read, the drop-down lists of a bulk template") {
		t.Errorf("summary.json skipped %s", got)
	}
}

// TestValidateFixedByOpenpyxlE2E: a rejects.xlsx that openpyxl edited and saved
// (testdata/corrections/make.sh), given back with its original from another folder than the
// one it was made in: the original is found by its name, Bob's corrected row replaces row 3,
// Cy's row is still wrong and named as row 4 of staff.csv, and Ed's row, deleted from the
// workbook, is read from staff.csv again.
func TestValidateFixedByOpenpyxlE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	dir := t.TempDir()
	for _, name := range []string{"staff.csv", "rejects-fixed.xlsx"} {
		b, err := os.ReadFile(filepath.Join("testdata", "corrections", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runValidate(t, bin, filepath.Join(dir, "staff.csv"), filepath.Join(dir, "rejects-fixed.xlsx"))
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	golden(t, "corrections/rejects.csv", r.rejects)
	if got := fmt.Sprint(r.summary["replaced_by_corrections"]); got != "map[staff.csv:[3 4]]" {
		t.Errorf("replaced_by_corrections %s, want staff.csv: [3 4]", got)
	}
}
