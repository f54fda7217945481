package main

import (
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// TestLoadReferenceMarksItsCell: a learner whose assessor names nobody on OneFile is found only
// at load time; its problem still names the column (as the input heads it) in rejects.csv and
// colours that cell red in rejects.xlsx, like a problem validation finds.
func TestLoadReferenceMarksItsCell(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "learners.csv", "Role,FirstName,LastName,Email,MISID,Assessor MISID,ClassroomName,PlacementName\n"+
		"1,Bo,Ng,bo@learner.example,NEW-L1,NOBODY,Business Administration L3,Acme Logistics Ltd\n"+
		"1,Cy,Ho,cy@learner.example,NEW-L2,STF-001,Business Administration L3,Acme Logistics Ltd\n")
	_, url := startBox(t, sandbox.Config{CustomerToken: "tok-123456"})
	rep := filepath.Join(dir, "r")
	code, _, stderr := bulkRun(t, map[string]string{app.TokenEnv: "tok-123456"}, "load", "onefile", "--url", url, "--org", "5740",
		"--state", filepath.Join(dir, "l.db"), "--report", rep, in)
	if code != ExitRejected {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var found bool
	for _, r := range readCSV(t, filepath.Join(rep, "rejects.csv"))[1:] {
		if r[2] == "2" && r[5] == "reference" {
			found = true
			if r[3] != "Assessor MISID" {
				t.Errorf("the reference problem is on column %q, want Assessor MISID: %q", r[3], r)
			}
		}
	}
	if !found {
		t.Fatalf("no reference problem on row 2 in rejects.csv\n%s", stderr)
	}
	f, err := excelize.OpenFile(filepath.Join(rep, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, _ := f.GetCellStyle("learners", "F2")
	st, err := f.GetStyle(id)
	if err != nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FFC7CE" {
		t.Errorf("F2 (Assessor MISID = NOBODY) is not red: %+v %v", st, err)
	}
	if cmts, _ := f.GetComments("learners"); len(cmts) == 0 || cmts[0].Cell != "F2" {
		t.Errorf("comments %+v, want one on F2", cmts)
	}
}
