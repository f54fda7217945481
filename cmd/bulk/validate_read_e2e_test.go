package main

import (
	"encoding/csv"
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
