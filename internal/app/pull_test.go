package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/onefile/pull"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
)

// pulledLearners are users with the optional fields Excel mangles (leading zeros, long digit
// strings, dates, a 0 code), loaded into the sandbox before it is pulled.
const pulledLearners = "Role,FirstName,LastName,Email,MISID,DefaultAssessorID,ClassroomName,PlacementID,ULN,NINO,DOB,StartOn,PlannedEndDate,MobileNumber,Telephone,SupportFunding,LearnerStatusID,L12,L13\n" +
	"1,Ana,Lopes,ana@l.example,0012,1001,Business Administration L3,201,1000000043,AB123456C,14/03/2007,01/09/2026,31/08/2028,07700 900123,+44 20 7946 0123,no,0,31,F\n" +
	"1,Ben,Ng,ben@l.example,L-0002,1002,Customer Service L2,202,,,,,,,,,,,\n" +
	"5,Cara,Mills,cara@s.example,STF-9,,,,,,,,,01234 567890,,,,,\n"

// sandboxURL starts a sandbox on loopback for a test; its stop is registered with t.Cleanup.
func sandboxURL(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string) {
	t.Helper()
	box := sandbox.New(cfg)
	url, shutdown, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	})
	return box, url
}

// writes counts the calls that change OneFile.
func writes(s sandbox.Snapshot) int {
	n := 0
	for ep, c := range s.Calls {
		if strings.HasPrefix(ep, "POST /User") && !strings.Contains(ep, "/Search") {
			n += c
		}
	}
	return n
}

// TestPullLoadsBackUnchanged: a pull of an organisation loads back with every row unchanged
// and no write call; one edited cell is exactly one update, of that field only. Both ways a
// user search may answer (summaries, whole users) are pulled.
func TestPullLoadsBackUnchanged(t *testing.T) {
	for _, mode := range []sandbox.SearchMode{sandbox.SearchSummary, sandbox.SearchFull} {
		t.Run(string(mode), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cfg := sandbox.DefaultConfig()
			cfg.RateLimit, cfg.SearchMode = 100000, mode
			box, url := sandboxURL(t, cfg)
			dir := t.TempDir()
			d := Deps{Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
				if k == TokenEnv {
					return box.CustomerToken()
				}
				return ""
			}}
			loadFiles := func(names []string, mode string, dry bool) *LoadOnefileOutcome {
				t.Helper()
				o := LoadOnefileOptions{InputOptions: InputOptions{Files: names, ReportDir: filepath.Join(dir, "r-"+filepath.Base(names[0])), Quiet: true},
					URL: url, Org: 5740, Mode: mode, Concurrency: 2, Rate: 100000, State: filepath.Join(dir, "ledger.db"), DryRun: dry}
				out, err := LoadOnefile(ctx, d, o)
				if err != nil {
					t.Fatalf("load %s: %v\n%s", names, err, d.Stderr)
				}
				return out
			}
			loadFile := func(name string, mode string) *LoadOnefileOutcome { return loadFiles([]string{name}, mode, false) }
			loadFile(writeFile(t, dir, "seed.csv", pulledLearners), "create")

			xlsx := filepath.Join(dir, "pulled.xlsx")
			po, err := PullOnefile(ctx, d, PullOnefileOptions{OnefileConn: OnefileConn{URL: url, Org: 5740, Rate: 100000}, Out: xlsx, CSVDir: filepath.Join(dir, "csv"), Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := po.Counts.Users["Learners"]; got != 3 {
				t.Fatalf("pulled %d learners, want 3 (the seed's and two loaded)", got)
			}
			// Summaries: every user is read whole. Whole users: only the first of each role's
			// search (4, 5, 10, 40 and 1 have users), to see that the search left nothing out.
			if want := map[sandbox.SearchMode]int{sandbox.SearchSummary: 9, sandbox.SearchFull: 5}[mode]; po.Counts.Read != want {
				t.Errorf("%d users read whole, want %d", po.Counts.Read, want)
			}
			before := writes(box.Snapshot())
			out := loadFile(xlsx, "upsert")
			if n := writes(box.Snapshot()) - before; n != 0 {
				t.Errorf("loading the pull back made %d write calls, want 0", n)
			}
			if out.Counts.Rejected != 0 || out.Counts.Read != 9 {
				t.Errorf("read %d rows, %d rejected; want 9 and 0\n%s", out.Counts.Read, out.Counts.Rejected, d.Stderr)
			}
			for _, r := range out.Load.Results {
				if r.Action != load.ActExists || len(r.Changes) > 0 {
					t.Errorf("%s row %d: %s %s %v %s", r.Item.Src.Sheet, r.Item.Row, r.Action, r.Status, r.Changes, r.Message)
				}
			}
			sum, err := os.ReadFile(filepath.Join(out.ReportDir, "summary.json"))
			if err != nil || strings.Count(string(sum), "a reference sheet bulk pull wrote") != 4 {
				t.Errorf("summary.json does not say the 4 reference sheets were passed over (%v):\n%s", err, sum)
			}
			if strings.Contains(d.Stderr.(*bytes.Buffer).String(), "match no kind") {
				t.Errorf("a reference sheet was reported as matching no kind:\n%s", d.Stderr)
			}
			// The folder pull --csv wrote loads back as the workbook does: every row unchanged
			// (a phone number starting with + has the CSV's formula guard, which the reader
			// drops); its reference lists are known by header alone, noted in the summary, not
			// warned about.
			csvs, _ := filepath.Glob(filepath.Join(dir, "csv", "*.csv"))
			if len(csvs) == 0 {
				t.Fatal("pull --csv wrote no CSV")
			}
			d.Stderr.(*bytes.Buffer).Reset()
			out = loadFiles(csvs, "upsert", true)
			for _, r := range out.Load.Results {
				if load.PlannedAction(r) != load.PlanUnchanged || len(r.Changes) > 0 {
					t.Errorf("CSV %s row %d: planned %s %v %s", r.Item.Src.File, r.Item.Row, load.PlannedAction(r), r.Changes, r.Message)
				}
			}
			sum, err = os.ReadFile(filepath.Join(out.ReportDir, "summary.json"))
			if err != nil || strings.Count(string(sum), "a reference sheet bulk pull wrote") != 4 {
				t.Errorf("summary.json does not say the 4 reference CSVs were passed over (%v):\n%s", err, sum)
			}
			if strings.Contains(d.Stderr.(*bytes.Buffer).String(), "match no kind") {
				t.Errorf("a reference CSV was reported as matching no kind:\n%s", d.Stderr)
			}

			// Edit one cell: Ana's mobile number.
			f, err := excelize.OpenFile(xlsx)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := f.GetRows("Learners")
			col := indexOf(rows[0], "MobileNumber")
			row := -1
			for i, r := range rows {
				if len(r) > 2 && r[1] == "Ana" {
					row = i
				}
			}
			if row < 0 || col < 0 || rows[row][col] != "07700 900123" {
				t.Fatalf("Ana's mobile number is not on the Learners sheet as it was sent: %v", rows)
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, row+1)
			if err := f.SetCellStr("Learners", cell, "07700 900999"); err != nil {
				t.Fatal(err)
			}
			edited := filepath.Join(dir, "edited.xlsx")
			if err := f.SaveAs(edited); err != nil {
				t.Fatal(err)
			}
			f.Close()
			snap := box.Snapshot()
			before, updates := writes(snap), snap.Calls["POST /User/{id}"]
			out = loadFile(edited, "upsert")
			snap = box.Snapshot()
			if n := writes(snap) - before; n != 1 || snap.Calls["POST /User/{id}"]-updates != 1 {
				t.Errorf("one edited cell made %d write calls (%d updates), want exactly one update", n, snap.Calls["POST /User/{id}"]-updates)
			}
			for _, r := range out.Load.Results {
				if r.Action == load.ActUpdate && (len(r.Changes) != 1 || r.Changes[0].Field != "MobileNumber") {
					t.Errorf("the update changes %v, want MobileNumber only", r.Changes)
				}
			}

			// Edit Ana's MISID: her row carries her OneFile ID, so it is her MISID that changes,
			// on the same user; nobody is created.
			idCol, misidCol := indexOf(rows[0], "OneFileID"), indexOf(rows[0], "MISID")
			if idCol < 0 || misidCol < 0 || rows[row][idCol] == "" {
				t.Fatalf("Ana's row has no OneFileID: %v", rows[0])
			}
			anaID := rows[row][idCol]
			f, err = excelize.OpenFile(edited) // as OneFile now holds Ana, but for her MISID
			if err != nil {
				t.Fatal(err)
			}
			cell, _ = excelize.CoordinatesToCellName(misidCol+1, row+1)
			if err := f.SetCellStr("Learners", cell, "L-0099"); err != nil {
				t.Fatal(err)
			}
			renamed := filepath.Join(dir, "renamed.xlsx")
			if err := f.SaveAs(renamed); err != nil {
				t.Fatal(err)
			}
			f.Close()
			snap = box.Snapshot()
			creates, users := snap.Calls["POST /User"], len(snap.Users)
			out = loadFile(renamed, "upsert")
			snap = box.Snapshot()
			if n := snap.Calls["POST /User"] - creates; n != 0 || len(snap.Users) != users {
				t.Errorf("a new MISID on a row with a OneFileID made %d creates (%d users, were %d), want none", n, len(snap.Users), users)
			}
			updated := 0
			for _, r := range out.Load.Results {
				if r.Action != load.ActUpdate {
					continue
				}
				updated++
				if r.OneFileID != anaID || len(r.Changes) != 1 || r.Changes[0].Field != "MISID" {
					t.Errorf("the update is of user %s changing %v; want Ana's (%s) MISID only", r.OneFileID, r.Changes, anaID)
				}
			}
			if updated != 1 {
				t.Errorf("%d updates, want 1", updated)
			}
			for _, u := range snap.Users {
				if strconv.Itoa(u.ID) == anaID && u.MISID != "L-0099" {
					t.Errorf("Ana (user %s) has MISID %q on OneFile, want L-0099", anaID, u.MISID)
				}
			}
		})
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// TestReferenceHeadersNameNoField: the reference sheets' headers name no field of any kind, so
// that no reader (even with --kind) takes them for data.
func TestReferenceHeadersNameNoField(t *testing.T) {
	for _, r := range []struct {
		name   string
		header []string
	}{{pull.Classrooms.Name, pull.Classrooms.Header}, {pull.Placements.Name, pull.Placements.Header},
		{pull.Standards.Name, pull.Standards.Header}, {pull.Units.Name, pull.Units.Header}} {
		if n := headerScore(r.header); n != 0 {
			t.Errorf("sheet %s: its header names %d fields of a kind", r.name, n)
		}
	}
}

func headerScore(cells []string) int { return pipeline.HeaderScore(cells, nil, catalog.Kinds()) }

// TestLoadSuggests: a classroom name that names nothing is told the nearest names the
// organisation has, and an assessor who is a user of another organisation the token sees is
// told so, naming it. Nothing is sent for either row.
func TestLoadSuggests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := sandbox.DefaultConfig()
	cfg.RateLimit = 100000
	box, url := sandboxURL(t, cfg)
	dir := t.TempDir()
	in := writeFile(t, dir, "learners.csv", "Role,FirstName,LastName,Email,MISID,DefaultAssessorMISID,ClassroomName,PlacementName\n"+
		"1,Ana,Lopes,ana@l.example,L1,STF-001,Busines Administration,Acme Logistics Ltd\n"+
		"1,Ben,Ng,ben@l.example,L2,STF-101,Team Leader L3,Acme Logistics Ltd\n"+
		"1,Cy,Ray,cy@l.example,L3,STF-999,Team Leader L3,Acme Logistics Ltd\n"+
		"1,Di,Fox,di@l.example,L4,STF-001,Team Leader L3,Acme Logistics\n")
	assigns := writeFile(t, dir, "assignments.csv", "LearnerMISID,UserMISID,Level,StandardTitle,UnitTitle\n"+
		"L-0001,STF-001,3,Business Administrator Level 3,\n"+
		"L-0001,STF-001,2,,Comunication\n")
	d := Deps{Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == TokenEnv {
			return box.CustomerToken()
		}
		return ""
	}}
	for _, dry := range []bool{true, false} {
		o := LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in, assigns}, ReportDir: filepath.Join(dir, "r"), Quiet: true},
			URL: url, Org: 5740, Mode: "upsert", Concurrency: 2, Rate: 100000, State: filepath.Join(dir, "ledger.db"), DryRun: dry}
		out, err := LoadOnefile(ctx, d, o)
		if out == nil || out.Load == nil {
			t.Fatalf("dry run %v: %v\n%s", dry, err, d.Stderr)
		}
		want := map[string]string{
			"L1": `ClassroomName "Busines Administration": no classroom of that name in organisation 5740. Did you mean 'Business Administration L3'?`,
			"L2": `DefaultAssessorMISID "STF-101" names no user in this load or in organisation 5740. It is user 1501 of organisation 5741 (Northfield Training - Adult Skills), not of 5740`,
			"L3": `DefaultAssessorMISID "STF-999" names no user in this load or on OneFile`,
			"L4": `PlacementName "Acme Logistics": no placement of that name in organisation 5740. Did you mean 'Acme Logistics Ltd'?`,
		}
		wantAssign := map[int]string{
			2: `StandardTitle "Business Administrator Level 3": no standard of that name in organisation 5740. Did you mean 'Business Administrator (Level 3)'?`,
			3: `UnitTitle "Comunication": no unit of that title in organisation 5740. Did you mean 'Communication'?`,
		}
		seen := 0
		for _, r := range out.Load.Results {
			var w string
			if r.Item.Src.File == "assignments.csv" {
				seen++
				w = wantAssign[r.Item.Row]
			} else {
				w = want[r.Item.User.MISID]
			}
			if !strings.Contains(r.Message, w) {
				t.Errorf("dry run %v, %s row %d: %q\nwant it to hold %q", dry, r.Item.Src.Where(), r.Item.Row, r.Message, w)
			}
		}
		if seen != len(wantAssign) || len(out.Load.Results) != len(want)+len(wantAssign) {
			t.Errorf("dry run %v: %d results, %d of assignments", dry, len(out.Load.Results), seen)
		}
		if n := writes(box.Snapshot()); n != 0 {
			t.Errorf("%d write calls for rows that name nothing", n)
		}
	}
}

// dropDown reads back, with excelize, the names a template's drop-down in column header of
// sheet offers: the data validation's list, through its defined name, on the Lists sheet.
func dropDown(t *testing.T, path, sheet, header string) []string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	col := indexOf(rows[0], header)
	if col < 0 {
		t.Fatalf("sheet %s has no column %s", sheet, header)
	}
	letter, _ := excelize.ColumnNumberToName(col + 1)
	dvs, err := f.GetDataValidations(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for _, dv := range dvs {
		if !strings.HasPrefix(dv.Sqref, letter+"2:") || dv.Type != "list" {
			continue
		}
		name := strings.Trim(dv.Formula1, "=")
		for _, dn := range f.GetDefinedName() {
			if dn.Name != name {
				continue
			}
			// Lists!$A$2:$A$5
			ref := strings.ReplaceAll(strings.TrimPrefix(dn.RefersTo, template.ListsSheet+"!"), "$", "")
			from, to, _ := strings.Cut(ref, ":")
			c1, r1, _ := excelize.CellNameToCoordinates(from)
			_, r2, _ := excelize.CellNameToCoordinates(to)
			var out []string
			for r := r1; r <= r2; r++ {
				cell, _ := excelize.CoordinatesToCellName(c1, r)
				v, _ := f.GetCellValue(template.ListsSheet, cell)
				out = append(out, v)
			}
			return out
		}
		t.Fatalf("sheet %s, column %s: the drop-down refers to %q, which names no range", sheet, header, dv.Formula1)
	}
	t.Fatalf("sheet %s, column %s has no drop-down list", sheet, header)
	return nil
}

// TestTemplateFromPull: a template made from a pulled workbook, or straight from the target,
// offers the organisation's names in its drop-downs: the names the loader looks up.
func TestTemplateFromPull(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, url, d := pullTarget(t)
	dir := t.TempDir()
	pulled := filepath.Join(dir, "pulled.xlsx")
	if _, err := PullOnefile(ctx, d, PullOnefileOptions{OnefileConn: OnefileConn{URL: url, Org: 5740, Rate: 100000}, Out: pulled, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	seed := sandbox.DefaultSeed().Organisations[0]
	var classrooms, placements, standards, units []string
	for _, c := range seed.Classrooms {
		classrooms = append(classrooms, c.Name)
	}
	for _, p := range seed.Placements {
		placements = append(placements, p.Name)
	}
	for _, s := range seed.Standards {
		standards = append(standards, s.Title)
		for _, u := range s.Units {
			units = append(units, u.Title)
		}
	}
	for _, l := range [][]string{classrooms, placements, standards, units} {
		slices.SortFunc(l, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	}
	// Assessors (roles 4 and 5) of organisation 5740 only, by e-mail.
	assessors := []string{"ben.hughes@northfield.example", "priya.shah@northfield.example", "tom.evans@northfield.example"}
	for _, src := range []struct {
		name string
		o    TemplateOptions
	}{
		{"from the pulled workbook", TemplateOptions{From: pulled}},
		{"from the target", TemplateOptions{Target: OnefileConn{URL: url, Org: 5740, Rate: 100000}}},
	} {
		t.Run(src.name, func(t *testing.T) {
			users, assigns := filepath.Join(t.TempDir(), "users.xlsx"), filepath.Join(t.TempDir(), "assignments.xlsx")
			o := src.o
			o.Kind, o.Out = "onefile-users", users
			if err := WriteTemplates(ctx, d, o); err != nil {
				t.Fatal(err)
			}
			o.Kind, o.Out = "onefile-assignments", assigns
			if err := WriteTemplates(ctx, d, o); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				file, sheet, col string
				want             []string
			}{
				{users, "Learners", "ClassroomName", classrooms},
				{users, "Learners", "PlacementName", placements},
				{users, "Staff", "PlacementName", placements},
				{users, "Learners", "DefaultAssessorEmail", assessors},
				{assigns, "onefile-assignments", "StandardTitle", standards},
				{assigns, "onefile-assignments", "UnitTitle", units},
			} {
				if got := dropDown(t, c.file, c.sheet, c.col); !slices.Equal(got, c.want) {
					t.Errorf("%s %s: drop-down %q, want %q", c.sheet, c.col, got, c.want)
				}
			}
			if py, err := exec.LookPath("/usr/bin/python3"); err == nil && exec.Command(py, "-c", "import openpyxl").Run() == nil {
				out, err := exec.CommandContext(ctx, py, "-c", openpyxlLists, users).CombinedOutput()
				if err != nil {
					t.Fatalf("openpyxl: %v\n%s", err, out)
				}
				if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !slices.Equal(got, classrooms) {
					t.Errorf("openpyxl reads the ClassroomName drop-down as %q, want %q", got, classrooms)
				}
			} else {
				t.Log("openpyxl not installed (apt-get install python3-openpyxl): the drop-downs were read back with excelize only")
			}
		})
	}
}

// openpyxlLists prints, one a line, the values of the Learners sheet's ClassroomName drop-down
// as openpyxl reads the workbook: the validation's defined name resolved on the Lists sheet.
const openpyxlLists = `
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Learners"]
col = [c.value for c in ws[1]].index("ClassroomName") + 1
letter = openpyxl.utils.get_column_letter(col)
for dv in ws.data_validations.dataValidation:
    if dv.type == "list" and any(str(r).startswith(letter + "2") for r in dv.sqref.ranges):
        dn = wb.defined_names[dv.formula1.lstrip("=")]
        for sheet, ref in dn.destinations:
            for row in wb[sheet][ref.replace("$", "")]:
                for c in row:
                    print(c.value)
`

// TestPullCSVLoadsBack: the CSVs of --csv load back as the workbook does: a role group the
// organisation has no users of gets no CSV (a header-only file is an empty input, so loading
// the folder back ended in exit 1), and a folder that already holds CSVs of another pull is not
// overwritten without Force (an earlier organisation's Observers.csv would be loaded with this
// one's).
func TestPullCSVLoadsBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	box, url, d := pullTarget(t)
	dir := t.TempDir()
	csvDir := filepath.Join(dir, "csv")
	if err := os.MkdirAll(csvDir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := writeFile(t, csvDir, "Observers.csv", "Role,FirstName,LastName,Email\n45,Old,Pull,old@other.example\n")
	pullTo := func(out string, force bool) error {
		_, err := PullOnefile(ctx, d, PullOnefileOptions{OnefileConn: OnefileConn{URL: url, Org: 5740, Rate: 100000}, Out: filepath.Join(dir, out), CSVDir: csvDir, Force: force, Quiet: true})
		return err
	}
	if err := pullTo("a.xlsx", false); err == nil || !strings.Contains(err.Error(), "Observers.csv") || KindOf(err) != CannotRun {
		t.Fatalf("a --csv folder holding an earlier pull's CSVs: %v, want a refusal naming them", err)
	}
	if err := pullTo("b.xlsx", true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("Observers.csv of the earlier pull is still there; this organisation has no observers")
	}
	files, _ := filepath.Glob(filepath.Join(csvDir, "*.csv"))
	before := writes(box.Snapshot())
	o := LoadOnefileOptions{InputOptions: InputOptions{Files: files, ReportDir: filepath.Join(dir, "r"), Quiet: true},
		URL: url, Org: 5740, Mode: "upsert", Concurrency: 2, Rate: 100000, State: filepath.Join(dir, "ledger.db")}
	out, err := LoadOnefile(ctx, d, o)
	if err != nil {
		t.Fatalf("loading the CSVs back: %v\n%s", err, d.Stderr)
	}
	if c := out.Report.Counts(); c.Read == 0 || c.Rejected != 0 || c.Errors != 0 {
		t.Errorf("loading the CSVs back: %+v", c)
	}
	if n := writes(box.Snapshot()) - before; n != 0 {
		t.Errorf("loading the CSVs back made %d write calls", n)
	}
}

// TestPullInterruptedLeavesNoCSV: a pull stopped part way writes nothing, as it says: the
// CSVs of --csv it had begun are removed with the workbook's temporary file, so a half pull's
// Assessors.csv is not loaded later as the organisation's.
func TestPullInterruptedLeavesNoCSV(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.RateLimit, cfg.Latency = 100000, 50*time.Millisecond
	box, url := sandboxURL(t, cfg)
	dir := t.TempDir()
	csvDir := filepath.Join(dir, "csv")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stop, stopNow := context.WithCancel(ctx)
	go func() { // stop the pull once its first CSV is there
		for ctx.Err() == nil {
			if m, _ := filepath.Glob(filepath.Join(csvDir, "*.csv")); len(m) > 0 {
				stopNow()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	d := Deps{Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == TokenEnv {
			return box.CustomerToken()
		}
		return ""
	}}
	_, err := PullOnefile(stop, d, PullOnefileOptions{OnefileConn: OnefileConn{URL: url, Org: 5740, Rate: 100000}, Out: filepath.Join(dir, "p.xlsx"), CSVDir: csvDir, Quiet: true})
	if KindOf(err) != Interrupted {
		t.Fatalf("pull stopped part way: %v, want interrupted", err)
	}
	if m, _ := filepath.Glob(filepath.Join(csvDir, "*.csv")); len(m) != 0 {
		t.Errorf("an interrupted pull, which says nothing was written, left %v", m)
	}
}

// TestPullProgressEnds: on a terminal the progress spinner counts users (not "learners", the
// sheet being written) and is cleared when the pull ends, so the summary starts on a clean line.
func TestPullProgressEnds(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.RateLimit, cfg.Latency = 100000, 20*time.Millisecond
	box, url := sandboxURL(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var errb bytes.Buffer
	d := Deps{Stderr: &errb, StderrIsTerminal: true, Getenv: func(k string) string {
		if k == TokenEnv {
			return box.CustomerToken()
		}
		return ""
	}}
	if _, err := PullOnefile(ctx, d, PullOnefileOptions{OnefileConn: OnefileConn{URL: url, Org: 5740, Rate: 100000}, Out: filepath.Join(t.TempDir(), "p.xlsx")}); err != nil {
		t.Fatal(err)
	}
	out := errb.String()
	if !strings.Contains(out, "pulling users") {
		t.Fatalf("no progress drawn:\n%q", out)
	}
	if strings.Contains(out, "pulling learners") {
		t.Errorf("the count of all users is called learners:\n%q", out)
	}
	if last := out[strings.LastIndex(out, "\r")+1:]; strings.TrimSpace(last) != "" {
		t.Errorf("the spinner is left on the line: %q", last)
	}
}

// pullTarget is a OneFile sandbox without a rate limit, and Deps whose environment holds its
// token, as the pull tests use them.
func pullTarget(t *testing.T) (*sandbox.Server, string, Deps) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.RateLimit = 100000
	box, url := sandboxURL(t, cfg)
	d := Deps{Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == TokenEnv {
			return box.CustomerToken()
		}
		return ""
	}}
	return box, url, d
}
