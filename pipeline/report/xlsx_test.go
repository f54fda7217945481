package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// learners is the kind these tests validate against: a stable stand-in for the OneFile kinds,
// whose rules grow, with a field of each type whose problems mark a cell.
var learners = &pipeline.Kind{Name: "test-learners", Fields: []pipeline.Field{
	{Name: "Role", Required: true, Type: pipeline.Integer, Min: 1, Max: 45},
	{Name: "FirstName", Synonyms: []string{"First Name"}, Required: true},
	{Name: "LastName", Synonyms: []string{"Surname"}, Required: true},
	{Name: "Email", Required: true, Type: pipeline.Email, Unique: true},
	{Name: "MISID", Unique: true},
	{Name: "ULN", Type: pipeline.ULN, Unique: true},
	{Name: "DOB", Synonyms: []string{"Date of Birth"}, Type: pipeline.Date},
}, RowRules: []func(*pipeline.Row){func(r *pipeline.Row) {
	// A warning, to see warnings marked: a surname in capitals.
	if v := r.Value(2); len(v) > 1 && v == strings.ToUpper(v) {
		r.Warnf(2, "test-capitals", "%s is in capitals; write it as the person does.", v)
	}
}}}

// validate runs the pipeline over paths as 'bulk validate' does and writes the report into dir.
func validate(t *testing.T, dir string, k *pipeline.Kind, paths ...string) *report.Report {
	t.Helper()
	var ro read.Options
	rep := report.New(dir, false)
	rep.SetReadOptions(ro)
	var inputs []pipeline.Input
	for _, p := range paths {
		in, err := read.Open(p, ro)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		inputs = append(inputs, in)
		rep.AddInput(p)
	}
	restore := pipeline.SetClock(func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) })
	defer restore()
	if err := pipeline.Run(context.Background(), inputs, pipeline.Options{Kind: k, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	if err := rep.Write(); err != nil {
		t.Fatal(err)
	}
	return rep
}

const learnersCSV = "Role,FirstName,LastName,Email,MISID,ULN,DOB\r\n" +
	"1,Amira,Khan,amira.khan@example.ac.uk,L001,1000000043,14/03/2007\r\n" + // 2 valid
	"1,Ben,Ng,ben.ng@example,L002,,02/11/2006\r\n" + // 3 email
	"1,\"=HYPERLINK(\"\"http://x\"\")\",Okafor,chi@example.ac.uk,L003,1000000042,31/02/2007\r\n" + // 4 ULN check digit, impossible date
	"1,Dee,Shah,dee@example.ac.uk,0042,,2005-01-31\r\n" + // 5 valid
	"1,Amy,Khan,AMIRA.KHAN@example.ac.uk,L006,,\r\n" + // 6 duplicate email of row 2
	"Tutor,Eve,Stone,eve@example.ac.uk,L007,,\r\n" // 7 role

// workbook writes an XLSX of learners with excelize: two sheets, typed cells, a gap of rows.
func workbook(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	rows := map[string][][]any{
		"Learners": {
			{"Role", "First Name", "Surname", "Email", "ULN", "Date of Birth"},
			{1, "Fay", "Lee", "fay@example.ac.uk", 1000000051, time.Date(2006, 5, 4, 0, 0, 0, 0, time.UTC)},     // 2 valid
			{1, "Gus", "MOSS", "gus@example.ac.uk", "1.23457E+09", time.Date(2006, 5, 5, 0, 0, 0, 0, time.UTC)}, // 3 excel-mangled; capitals (warning)
			nil, nil, // 4, 5 empty
			{1, "", "Noor", "noor@example.ac.uk", "", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), nil, "note"}, // 6 required; a note under no header (warning)
		},
		"Staff": {
			{"Role", "FirstName", "LastName", "Email"},
			{5, "Sam", "Assessor", "sam@example.ac.uk"},  // valid
			{"Boss", "Ann", "Ward", "ann@example.ac.uk"}, // role
		},
	}
	first := true
	for _, sheet := range []string{"Learners", "Staff"} {
		if first {
			f.SetSheetName("Sheet1", sheet)
			first = false
		} else {
			f.NewSheet(sheet)
		}
		for i, r := range rows[sheet] {
			for j, v := range r {
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
				if _, ok := v.(time.Time); ok {
					f.SetCellStyle(sheet, cell, cell, dateStyle)
				}
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// inputs writes the CSV and the workbook into a folder and returns their paths.
func inputs(t *testing.T) (dir, csvPath, xlsxPath string) {
	t.Helper()
	dir = t.TempDir()
	csvPath = filepath.Join(dir, "learners.csv")
	if err := os.WriteFile(csvPath, []byte(learnersCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	xlsxPath = filepath.Join(dir, "term.xlsx")
	workbook(t, xlsxPath)
	return dir, csvPath, xlsxPath
}

func fillOf(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Fill.Pattern != 1 || len(st.Fill.Color) == 0 {
		return ""
	}
	c := strings.ToUpper(strings.TrimPrefix(st.Fill.Color[0], "#"))
	if len(c) == 8 { // ARGB
		c = c[2:]
	}
	return c
}

func numFmtOf(t *testing.T, f *excelize.File, sheet, cell string) (int, string) {
	t.Helper()
	id, _ := f.GetCellStyle(sheet, cell)
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return st.NumFmt, *st.CustomNumFmt
	}
	return st.NumFmt, ""
}

// rowsOf reads a sheet's rows (formatted as excelize shows them, raw values).
func rowsOf(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return withoutOrigin(t, f, sheet, rows)
}

// withoutOrigin checks that a sheet of rejects.xlsx ends with its hidden Origin column, each
// row's cell naming a row bulk read, and returns the rows without it (the tests of what the
// officer sees compare the rest).
func withoutOrigin(t *testing.T, f *excelize.File, sheet string, rows [][]string) [][]string {
	t.Helper()
	if len(rows) == 0 {
		return rows
	}
	at := len(rows[0]) - 1
	if rows[0][at] != read.OriginHeader {
		t.Errorf("%s: last header %q, want %q", sheet, rows[0][at], read.OriginHeader)
		return rows
	}
	col, _ := excelize.ColumnNumberToName(at + 1)
	if visible, err := f.GetColVisible(sheet, col); err != nil || visible {
		t.Errorf("%s: the Origin column %s is visible (%v)", sheet, col, err)
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		if i > 0 {
			if len(r) <= at {
				t.Errorf("%s row %d has no Origin", sheet, i+1)
			} else if _, ok := pipeline.ParseOrigin(r[at]); !ok {
				t.Errorf("%s row %d: Origin %q is not bulk's", sheet, i+1, r[at])
			}
		}
		out[i] = r[:min(len(r), at)]
	}
	return out
}

func TestRejectsXLSX(t *testing.T) {
	dir, csvPath, xlsxPath := inputs(t)
	repDir := filepath.Join(dir, "report")
	rep := validate(t, repDir, learners, csvPath, xlsxPath)
	c := rep.Counts()
	if c.Read != 11 || c.Rejected != 7 {
		t.Fatalf("counts %+v, want 11 read, 7 rejected", c)
	}
	f, err := excelize.OpenFile(filepath.Join(repDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"learners", "Learners (2)", "Staff"}) {
		t.Errorf("sheets %q", got)
	}

	// The CSV's rejected rows, cell for cell as they were, under the same header plus Problems.
	got := rowsOf(t, f, "learners")
	want := [][]string{
		{"Role", "FirstName", "LastName", "Email", "MISID", "ULN", "DOB", "Problems"},
		{"1", "Ben", "Ng", "ben.ng@example", "L002", "", "02/11/2006"},
		{"1", `=HYPERLINK("http://x")`, "Okafor", "chi@example.ac.uk", "L003", "1000000042", "31/02/2007"},
		{"1", "Amy", "Khan", "AMIRA.KHAN@example.ac.uk", "L006"},
		{"Tutor", "Eve", "Stone", "eve@example.ac.uk", "L007"},
	}
	for i := range want {
		if i >= len(got) {
			t.Fatalf("learners: %d rows, want %d", len(got), len(want))
		}
		g := got[i]
		if i > 0 && len(g) == 8 {
			g = g[:7] // the Problems text is checked below
		}
		for len(g) > len(want[i]) && g[len(g)-1] == "" {
			g = g[:len(g)-1]
		}
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("learners row %d: %q, want %q", i+1, g, want[i])
		}
	}
	// A cell that would be a formula is text, not a formula.
	if fo, _ := f.GetCellFormula("learners", "B3"); fo != "" {
		t.Errorf("B3 became the formula %q", fo)
	}
	// Text cells are formatted as text, so an ID typed over them stays as typed.
	if id, _ := numFmtOf(t, f, "learners", "E2"); id != 49 {
		t.Errorf("E2 number format %d, want 49 (text)", id)
	}

	// Bad cells are red with their message as a comment; others are not filled.
	for _, tc := range []struct {
		sheet, cell, fill, comment string
	}{
		{"learners", "D2", "FFC7CE", "[email]"},
		{"learners", "F3", "FFC7CE", "[uln]"},
		{"learners", "G3", "FFC7CE", `"31/02/2007"`},
		{"learners", "D4", "FFC7CE", "already appears on row 2"},
		{"learners", "A5", "FFC7CE", "[integer]"},
		{"learners", "B2", "", ""},
		{"Learners (2)", "E2", "FFC7CE", "[excel-mangled]"},
		{"Learners (2)", "B3", "FFC7CE", "[required]"},
		{"Learners (2)", "C2", "FFEB9C", "Warning: MOSS is in capitals"},
		{"Learners (2)", "H3", "", ""}, // the note under no header: kept, not marked
		{"Staff", "A2", "FFC7CE", "[integer]"},
	} {
		if got := fillOf(t, f, tc.sheet, tc.cell); got != tc.fill {
			t.Errorf("%s!%s fill %q, want %q", tc.sheet, tc.cell, got, tc.fill)
		}
		comments, err := f.GetComments(tc.sheet)
		if err != nil {
			t.Fatal(err)
		}
		found := ""
		for _, cm := range comments {
			if cm.Cell == tc.cell {
				found = cm.Text
				for _, r := range cm.Paragraph {
					found += r.Text
				}
			}
		}
		if (tc.comment == "") != (found == "") || !strings.Contains(found, tc.comment) {
			t.Errorf("%s!%s comment %q, want one saying %q", tc.sheet, tc.cell, found, tc.comment)
		}
	}

	// The Problems column: where the row came from, every message with its column and rule.
	problems := func(sheet, cell string) string {
		v, err := f.GetCellValue(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		sheet, cell string
		want        []string
	}{
		{"learners", "H3", []string{"Row 4 of learners.csv.", "\nULN: ", "[uln]", "\nDOB: ", "31/02/2007", "[date]"}},
		{"learners", "H4", []string{"Row 6 of learners.csv.", "Email:", "[duplicate]"}},
		{"Learners (2)", "I3", []string{"Row 6 of term.xlsx, sheet Learners.", "First Name:", "[required]", "Warning: Cell H6 holds \"note\"", "[unknown-column]"}},
		{"Learners (2)", "I2", []string{"Row 3 of term.xlsx, sheet Learners.", "\nULN:", "[excel-mangled]", "Warning: Surname: MOSS is in capitals", "[test-capitals]"}},
	} {
		got := problems(tc.sheet, tc.cell)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s!%s Problems %q does not say %q", tc.sheet, tc.cell, got, w)
			}
		}
	}

	// The workbook's rejected rows keep their types: numbers as numbers, dates as date cells.
	// The Problems column follows the widest row: the note in H under no header is kept.
	wb := rowsOf(t, f, "Learners (2)")
	if len(wb) != 3 || len(wb[0]) != 9 || wb[0][8] != "Problems" || wb[0][6] != "" || wb[1][0] != "1" || wb[1][4] != "1.23457E+09" || wb[2][7] != "note" {
		t.Errorf("Learners (2): %q", wb)
	}
	if typ, _ := f.GetCellType("Learners (2)", "A2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("A2 has type %v, want a number", typ)
	}
	if _, code := numFmtOf(t, f, "Learners (2)", "F2"); code != "dd/mm/yyyy" {
		t.Errorf("F2 has format %q, want a date format", code)
	}
	if id, _ := numFmtOf(t, f, "Learners (2)", "E2"); id != 49 {
		t.Errorf("E2 (a ULN typed as text) has format %d, want text", id)
	}
}

// validULN returns the n-th (from 0) number from 1000000000 up that passes the ULN check digit.
func validULN(n int) string {
	for base := 100000000; ; base++ {
		s := fmt.Sprint(base)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(s[i]-'0') * (10 - i)
		}
		if r := sum % 11; r != 0 {
			if n == 0 {
				return s + fmt.Sprint(10-r)
			}
			n--
		}
	}
}

// fix corrects every marked cell of rejects.xlsx the way a data officer would, and saves it.
func fix(t *testing.T, path string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		for r := 2; r <= len(rows); r++ {
			for c, h := range header {
				cell, _ := excelize.CoordinatesToCellName(c+1, r)
				if fillOf(t, f, sheet, cell) == "" {
					continue
				}
				n++
				var v any
				switch h {
				case "Email":
					v = fmt.Sprintf("fixed%d@example.ac.uk", n)
				case "ULN":
					v = validULN(n) // typed over a text cell: stays text
				case "DOB", "Date of Birth":
					v = time.Date(2007, 2, 28, 0, 0, 0, 0, time.UTC)
				case "Role":
					v = 1
				case "First Name", "FirstName":
					v = "Nadia"
				case "Surname":
					v = "Moss"
				default:
					t.Fatalf("%s!%s (%s) is marked and the test does not know how to fix it", sheet, cell, h)
				}
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no marked cells to fix")
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

// TestRejectsRoundTrip is what the report promises: fix the marked cells of rejects.xlsx, give
// it back to bulk, and every row is valid; the Problems column is not taken for data.
func TestRejectsRoundTrip(t *testing.T) {
	for _, limit := range []int{report.CommentLimit, 1} {
		t.Run(fmt.Sprintf("comment-limit-%d", limit), func(t *testing.T) {
			old := report.CommentLimit
			report.CommentLimit = limit
			defer func() { report.CommentLimit = old }()

			dir, csvPath, xlsxPath := inputs(t)
			first := filepath.Join(dir, "first")
			validate(t, first, learners, csvPath, xlsxPath)
			rejects := filepath.Join(first, "rejects.xlsx")
			if limit == 1 {
				f, err := excelize.OpenFile(rejects)
				if err != nil {
					t.Fatal(err)
				}
				for _, sh := range f.GetSheetList() {
					if cs, _ := f.GetComments(sh); len(cs) != 0 {
						t.Errorf("%s: %d comments in a streamed workbook", sh, len(cs))
					}
				}
				if v, _ := f.GetCellValue("learners", "H2"); !strings.Contains(v, "no comments") {
					t.Errorf("the first row's Problems %q does not say the comments were left out", v)
				}
				if got := fillOf(t, f, "learners", "D2"); got != "FFC7CE" {
					t.Errorf("streamed D2 fill %q", got)
				}
				f.Close()
			}
			fix(t, rejects)

			second := filepath.Join(dir, "second")
			rep := validate(t, second, learners, rejects)
			c := rep.Counts()
			// The one warning left is the note under no header, which no fix touches; the
			// streamed workbook leaves cells right of the header out, so it has none.
			wantWarnings := int64(1)
			if limit == 1 {
				wantWarnings = 0
			}
			if c.Read != 7 || c.Rejected != 0 || c.Warnings != wantWarnings {
				var msgs []string
				for _, p := range rep.Problems() {
					msgs = append(msgs, fmt.Sprintf("%s %d %s: %s", p.Sheet, p.Row, p.Column, p.Message))
				}
				t.Fatalf("fixed rejects: %+v\n%s", c, strings.Join(msgs, "\n"))
			}
			// With no row rejected, rejects.xlsx holds only the Warnings sheet, when there is a
			// warning to show; otherwise there is none.
			second2 := filepath.Join(second, "rejects.xlsx")
			if wantWarnings == 0 {
				if _, err := os.Stat(second2); !os.IsNotExist(err) {
					t.Errorf("a run with no rejected row and no warning wrote rejects.xlsx (%v)", err)
				}
				return
			}
			f, err := excelize.OpenFile(second2)
			if err != nil {
				t.Fatalf("a run with a warning on a valid row wrote no rejects.xlsx: %v", err)
			}
			defer f.Close()
			if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{report.WarningsSheet}) {
				t.Errorf("sheets %q, want only %s", got, report.WarningsSheet)
			}
		})
	}
}

// TestRejectsXLSXStale: a run with nothing rejected removes the rejects.xlsx of an earlier run.
func TestRejectsXLSXStale(t *testing.T) {
	dir := t.TempDir()
	repDir := filepath.Join(dir, "report")
	os.MkdirAll(repDir, 0o755)
	stale := filepath.Join(repDir, "rejects.xlsx")
	os.WriteFile(stale, []byte("old"), 0o644)
	p := filepath.Join(dir, "ok.csv")
	os.WriteFile(p, []byte("Role,FirstName,LastName,Email\n1,A,B,a@example.ac.uk\n"), 0o644)
	if c := validate(t, repDir, learners, p).Counts(); c.Rejected != 0 {
		t.Fatalf("counts %+v", c)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale rejects.xlsx still there (%v)", err)
	}
}

// TestRejectsXLSXMissingColumn: a table missing a required column has every row rejected; each
// row says why in Problems, and rejects.xlsx adds the column, empty and red on every row, so
// the officer fills it in and gives the workbook back.
func TestRejectsXLSXMissingColumn(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "staff.csv")
	os.WriteFile(p, []byte("Role,FirstName,Email\n5,Sam,sam@example.ac.uk\n5,Jo,jo@example.ac.uk\n"), 0o644)
	repDir := filepath.Join(dir, "report")
	validate(t, repDir, learners, p)
	f, err := excelize.OpenFile(filepath.Join(repDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := rowsOf(t, f, "staff")
	if len(rows) != 3 || !reflect.DeepEqual(rows[0], []string{"Role", "FirstName", "Email", "LastName", read.ProblemsHeader}) {
		t.Fatalf("rows %q", rows)
	}
	for i, r := range rows[1:] {
		if len(r) != 5 || r[3] != "" || !strings.Contains(r[4], "LastName is missing") || !strings.Contains(r[4], "[missing-column]") {
			t.Errorf("row %q does not say the column is missing", r)
		}
		if got := fillOf(t, f, "staff", fmt.Sprintf("D%d", i+2)); got != "FFC7CE" {
			t.Errorf("D%d (the missing LastName) fill %q, want red", i+2, got)
		}
	}
	// Filled in, the workbook is valid.
	f.SetCellStr("staff", "D2", "Moss")
	f.SetCellStr("staff", "D3", "Lee")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if c := validate(t, filepath.Join(dir, "again"), learners, filepath.Join(repDir, "rejects.xlsx")).Counts(); c.Read != 2 || c.Rejected != 0 {
		t.Errorf("the filled-in rejects.xlsx: %+v", c)
	}
}

// TestRejectsSheetNames: names are Excel-valid (31 characters, no []:*?/\), and unique.
func TestRejectsSheetNames(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"a/learners.csv", "b/learners.csv", "c/LEARNERS.csv", "d/learners [term 1] of the college year 2026-27.csv"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("Role,FirstName,LastName,Email\n9,A,B,a@example\n"), 0o644)
		paths = append(paths, p)
	}
	repDir := filepath.Join(dir, "report")
	validate(t, repDir, learners, paths...)
	f, err := excelize.OpenFile(filepath.Join(repDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := f.GetSheetList()
	want := []string{"learners", "learners (2)", "LEARNERS (3)", "learners _term 1_ of the colleg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sheets %q, want %q", got, want)
	}
	sort.Strings(got)
	for _, s := range got {
		if n := len([]rune(s)); n > 31 {
			t.Errorf("sheet %q has %d characters", s, n)
		}
	}
}

// runWith runs the pipeline over one file read with ro, without telling the report the options.
func runWith(t testing.TB, dir, path string, ro read.Options) *report.Report {
	t.Helper()
	in, err := read.Open(path, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rep := report.New(dir, false)
	rep.AddInput(path)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: learners, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRejectsXLSXDelimiter: a CSV read with a delimiter other than the comma is read again with
// it, even when the report was not given the read options.
func TestRejectsXLSXDelimiter(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "semi.csv")
	os.WriteFile(p, []byte("Role;FirstName;LastName;Email\n1;A;B;a@example.ac.uk\n1;C;D;not-an-email\n"), 0o644)
	repDir := filepath.Join(dir, "report")
	rep := runWith(t, repDir, p, read.Options{Delimiter: ';'})
	if err := rep.Write(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(repDir, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := rowsOf(t, f, "semi")
	if len(rows) != 2 || !reflect.DeepEqual(rows[1][:4], []string{"1", "C", "D", "not-an-email"}) {
		t.Errorf("rows %q", rows)
	}
}

// TestRejectsXLSXInputChanged: an input that changed after it was read is not read again for
// rejects.xlsx (its rows may have moved); Write says so, and still writes the summary.
func TestRejectsXLSXInputChanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "l.csv")
	os.WriteFile(p, []byte("Role,FirstName,LastName,Email\n1,C,D,not-an-email\n"), 0o644)
	repDir := filepath.Join(dir, "report")
	rep := runWith(t, repDir, p, read.Options{})
	os.WriteFile(p, []byte("Role,FirstName,LastName,Email\n1,X,Y,x@example.ac.uk\n1,C,D,not-an-email\n"), 0o644)
	err := rep.Write()
	if err == nil || !strings.Contains(err.Error(), "changed while bulk was reading it") {
		t.Fatalf("Write = %v", err)
	}
	for name, want := range map[string]bool{"rejects.xlsx": false, "rejects.csv": true, "summary.json": true} {
		if _, err := os.Stat(filepath.Join(repDir, name)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
}

// TestRejectsXLSXNeverOverwritesInput: validating the fixed rejects.xlsx with the same report
// folder (what a data officer naturally does) must not overwrite or delete it: the new rejects
// go to rejects-2.xlsx, and a clean run leaves the input alone.
func TestRejectsXLSXNeverOverwritesInput(t *testing.T) {
	dir, csvPath, _ := inputs(t)
	repDir := filepath.Join(dir, "bulk-report")
	rep := validate(t, repDir, learners, csvPath)
	rejects := filepath.Join(repDir, "rejects.xlsx")
	if rep.RejectsXLSX() != rejects {
		t.Fatalf("RejectsXLSX() = %q", rep.RejectsXLSX())
	}
	before, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	rep = validate(t, repDir, learners, rejects) // nothing fixed yet: the same rows are rejected
	if rep.Counts().Rejected == 0 {
		t.Fatal("the unfixed rejects validated clean")
	}
	if after, _ := os.ReadFile(rejects); string(after) != string(before) {
		t.Error("the input rejects.xlsx was overwritten")
	}
	if want := filepath.Join(repDir, "rejects-2.xlsx"); rep.RejectsXLSX() != want {
		t.Errorf("new rejects went to %q, want %q", rep.RejectsXLSX(), want)
	}
	f, err := excelize.OpenFile(filepath.Join(repDir, "rejects-2.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	// Row 6's e-mail repeated row 2's, which is not in rejects.xlsx: alone, it is valid now.
	if rows := rowsOf(t, f, "learners"); len(rows) != 4 {
		t.Errorf("rejects-2.xlsx holds %d rows, want the header and 3", len(rows))
	}
	f.Close()

	fix(t, rejects)
	rep = validate(t, repDir, learners, rejects)
	if c := rep.Counts(); c.Rejected != 0 || rep.RejectsXLSX() != "" {
		t.Fatalf("fixed: %+v, wrote %q", c, rep.RejectsXLSX())
	}
	if _, err := os.Stat(rejects); err != nil {
		t.Errorf("a clean run deleted its own input: %v", err)
	}
}

// TestRejectsXLSXWarningsSheet: a warning on a valid row (sent as it is) is listed on the
// Warnings sheet of rejects.xlsx, not only in rejects.csv; warnings on rejected rows stay on
// their rows. Given back to bulk, the Warnings sheet is not read as data.
func TestRejectsXLSXWarningsSheet(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "learners.csv")
	if err := os.WriteFile(in, []byte("Role,FirstName,LastName,Email\r\n"+
		"1,Ann,SMITH,ann@example.ac.uk\r\n"+ // valid, with a warning
		"1,Bob,JONES,not-an-email\r\n"+ // rejected, with a warning too
		"1,Cat,Lee,cat@example.ac.uk\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(dir, "first")
	rep := validate(t, first, learners, in)
	if c := rep.Counts(); c.Rejected != 1 || c.Warnings != 2 {
		t.Fatalf("counts %+v", c)
	}
	f, err := excelize.OpenFile(filepath.Join(first, "rejects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"learners", report.WarningsSheet}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	rows, err := f.GetRows(report.WarningsSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !reflect.DeepEqual(rows[0], report.WarningsHeader) {
		t.Fatalf("Warnings sheet %q: want its header and Ann's warning only", rows)
	}
	if w := rows[1]; w[0] != "learners.csv" || w[2] != "2" || w[3] != "LastName" || w[4] != "SMITH" || !strings.Contains(w[5], "capitals") || w[6] != "test-capitals" {
		t.Errorf("warning row %q", w)
	}
	if got := fillOf(t, f, report.WarningsSheet, "F2"); got != "FFEB9C" {
		t.Errorf("the warning's cell fill %q, want amber", got)
	}
	// Bob's own warning is on his row in the learners sheet, as before.
	if p, _ := f.GetCellValue("learners", "E2"); !strings.Contains(p, "Warning: LastName") {
		t.Errorf("Bob's Problems %q lack his warning", p)
	}

	// The workbook given back: the Warnings sheet is skipped, not read as learners.
	var skipped []string
	ro := read.Options{}
	wb, err := read.Open(filepath.Join(first, "rejects.xlsx"), ro)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	back := report.New(filepath.Join(dir, "second"), false)
	err = pipeline.Run(context.Background(), []pipeline.Input{wb}, pipeline.Options{Kind: learners, Reporter: back,
		Skipped: func(src *pipeline.Source, why string) {
			if report.IsWarningsSheet(src) {
				skipped = append(skipped, src.Sheet)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if c := back.Counts(); c.Read != 1 || !reflect.DeepEqual(skipped, []string{report.WarningsSheet}) {
		t.Errorf("read back: %+v, skipped %q; want Bob's row only, the Warnings sheet skipped", c, skipped)
	}
}

// TestRejectsXLSXDateOrder: a date cell of rejects.xlsx is shown in the order the run read dates
// with: 14/03/2007 by default, 03/14/2007 under --date-order mdy; never 2007-03-14.
func TestRejectsXLSXDateOrder(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "l.xlsx")
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]any{"Role", "FirstName", "LastName", "Email", "DOB"})
	wb.SetSheetRow("Sheet1", "A2", &[]any{1, "Ann", "Lee", "not-an-email", time.Date(2007, 3, 14, 0, 0, 0, 0, time.UTC)})
	style, _ := wb.NewStyle(&excelize.Style{NumFmt: 14})
	wb.SetCellStyle("Sheet1", "E2", "E2", style)
	if err := wb.SaveAs(in); err != nil {
		t.Fatal(err)
	}
	for _, mdy := range []bool{false, true} {
		repDir := filepath.Join(dir, fmt.Sprint(mdy))
		rep := report.New(repDir, false)
		rep.MonthFirst = mdy
		src, err := read.Open(in, read.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep.AddInput(in)
		if err := pipeline.Run(context.Background(), []pipeline.Input{src}, pipeline.Options{Kind: learners, Reporter: rep, MonthFirst: mdy}); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := rep.Write(); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(filepath.Join(repDir, "rejects.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "dd/mm/yyyy", true: "mm/dd/yyyy"}[mdy]
		if _, code := numFmtOf(t, f, "Sheet1", "E2"); code != want {
			t.Errorf("mdy %v: DOB format %q, want %q", mdy, code, want)
		}
		f.Close()
	}
}
