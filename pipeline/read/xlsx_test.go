package read_test

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// table is one table as read: its source and its records, copied out of the reader's buffers.
type table struct {
	src  *pipeline.Source
	recs []pipeline.Record
}

func readTables(t *testing.T, path string, o read.Options) []table {
	t.Helper()
	in, err := read.Open(path, o)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer in.Close()
	var out []table
	for {
		tb, err := in.NextTable()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tt := table{src: tb.Source()}
		for {
			var rec pipeline.Record
			if err := tb.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s, sheet %s: %v", path, tt.src.Sheet, err)
			}
			tt.recs = append(tt.recs, rec)
		}
		out = append(out, tt)
	}
}

const (
	T = pipeline.CellText
	N = pipeline.CellNumber
	D = pipeline.CellDate
	B = pipeline.CellBool
	F = pipeline.CellFormula
)

type wantRow struct {
	row   int
	cells []string
	types []pipeline.CellType
}

type wantTable struct {
	sheet     string
	headerRow int
	header    []string
	date1904  bool
	rows      []wantRow
}

func checkTables(t *testing.T, got []table, want []wantTable) {
	t.Helper()
	if len(got) != len(want) {
		var names []string
		for _, g := range got {
			names = append(names, g.src.Sheet)
		}
		t.Fatalf("read %d tables %q, want %d", len(got), names, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.src.Sheet != w.sheet || g.src.HeaderRow != w.headerRow || g.src.Date1904 != w.date1904 || !reflect.DeepEqual(g.src.Header, w.header) {
			t.Errorf("table %d: sheet %q header row %d 1904 %v header %q; want %q %d %v %q", i, g.src.Sheet, g.src.HeaderRow, g.src.Date1904, g.src.Header, w.sheet, w.headerRow, w.date1904, w.header)
		}
		if len(g.recs) != len(w.rows) {
			t.Errorf("sheet %s: %d rows, want %d", w.sheet, len(g.recs), len(w.rows))
			continue
		}
		for j, wr := range w.rows {
			r := g.recs[j]
			if r.Row != wr.row || !reflect.DeepEqual(r.Cells, wr.cells) || !reflect.DeepEqual(r.Types, wr.types) {
				t.Errorf("sheet %s record %d:\n got row %d %q %v\nwant row %d %q %v", w.sheet, j, r.Row, r.Cells, r.Types, wr.row, wr.cells, wr.types)
			}
		}
	}
}

// TestLibreOfficeWorkbooks reads workbooks LibreOffice Calc wrote (testdata/make.sh regenerates
// them from testdata/src): every cell's text and type, the row numbers across gaps, a header
// below blank rows, an empty sheet skipped, and dates in both date systems.
func TestLibreOfficeWorkbooks(t *testing.T) {
	tests := []struct {
		file string
		want []wantTable
	}{
		{"lo-term.xlsx", []wantTable{
			{sheet: "Learners", headerRow: 1,
				header: []string{"Role", "First Name", "Surname", "Email", "MIS ID", "ULN", "Date of Birth", "Enrolled", "Fee", "Active"},
				rows: []wantRow{
					// ULN shown as 1.00000E+09 by its format: the number is read whole; a date and a
					// date-time; 1250.5 shown as 1250.50 keeps its own digits; a boolean.
					{2, []string{"1", "Amira", "Khan", "amira.khan@example.ac.uk", "000123", "1000000043", "2007-03-14", "2026-09-07 09:30:00", "1250.5", "TRUE"},
						[]pipeline.CellType{N, T, T, T, T, N, D, D, N, B}},
					// MIS ID typed as a number lost its zeros; ULN pasted as the text 1.23457E+09; a
					// d mmm yyyy date; an empty cell between two values.
					{3, []string{"1", "Ben", "Ng", "ben.ng@example.ac.uk", "123", "1.23457E+09", "2006-11-02", "", "0.1", "FALSE"},
						[]pipeline.CellType{N, T, T, T, N, T, D, T, N, B}},
					// Rows 4 and 5 are empty. The MIS ID is the number 456 formatted 000000; a
					// yyyy-mm-dd date; a date-time format on a whole day; trailing cells empty.
					{6, []string{"1", "Chloé", "O'Brien", "chloe.obrien@example.ac.uk", "000456", "1000000051", "2005-01-31", "2026-09-07 00:00:00"},
						[]pipeline.CellType{N, T, T, T, N, N, D, D}},
					// A date typed as text stays text.
					{7, []string{"5", "Jo", "Tutor", "jo.tutor@example.ac.uk", "", "", "14/03/1990"},
						[]pipeline.CellType{N, T, T, T, T, T, T}},
					// Formulas: their cached values, typed as the values are.
					{8, []string{"1", "Deepa", "Shah", "deepa.shah@example.ac.uk", "L-77", "", "2004-02-29", "", "0.3"},
						[]pipeline.CellType{N, T, T, T, T, T, D, T, N}},
				}},
			{sheet: "Staff", headerRow: 3, header: []string{"Role", "FirstName", "LastName", "Email"},
				rows: []wantRow{
					{4, []string{"5", "Sam", "Assessor", "sam.assessor@example.ac.uk"}, []pipeline.CellType{N, T, T, T}},
					{10, []string{"10", "Ivy", "Quinn", "ivy.quinn@example.ac.uk"}, []pipeline.CellType{N, T, T, T}},
				}},
			// Sheet Empty has no header: skipped.
			{sheet: "Misc", headerRow: 1, header: []string{"Time", "Elapsed", "Flag", "Lookup", "Share", "Negative", "Big", "Tiny", "Code"},
				rows: []wantRow{
					// A time of day and a duration are text; #N/A as shown; 12.5% is 0.125;
					// 1.2E-005 as LibreOffice stores it reads 0.000012.
					{2, []string{"09:30:00", "36:00:00", "TRUE", "#N/A", "12.5", "-42", "123456789012345", "0.000012", "0042"},
						[]pipeline.CellType{T, T, B, T, N, N, N, N, T}},
				}},
		}},
		{"lo-richtext.xlsx", []wantTable{
			{sheet: "Learners", headerRow: 1, header: []string{"FirstName", "LastName", "Email", "Notes"},
				rows: []wantRow{
					// Rich text: the runs of each cell joined, whatever their format.
					{2, []string{"Amira", "Ó Súilleabháin", "amira.osuilleabhain@example.ac.uk", `Needs & wants a <laptop> "soon"`},
						[]pipeline.CellType{T, T, T, T}},
					// Spaces kept (xml:space); two paragraphs are two lines.
					{3, []string{" Ben  ", "Ng", "ben.ng@example.ac.uk", "first line\nsecond line"},
						[]pipeline.CellType{T, T, T, T}},
					// Beyond the BMP; text that looks like an escape, which LibreOffice escapes.
					{4, []string{"Zoë 😀", "李", "zoe.li@example.ac.uk", "code _x0041_ stays"},
						[]pipeline.CellType{T, T, T, T}},
				}},
		}},
		{"lo-1904.xlsx", []wantTable{
			{sheet: "Learners", headerRow: 1, date1904: true,
				header: []string{"Role", "FirstName", "LastName", "Email", "DOB", "Enrolled", "Count"},
				rows: []wantRow{
					{2, []string{"1", "Amira", "Khan", "amira.khan@example.ac.uk", "2007-03-14", "2026-09-07 13:45:30", "7"},
						[]pipeline.CellType{N, T, T, T, D, D, N}},
					// 1904-01-02 is serial 1 in this system; 23:59:59 survives rounding.
					{3, []string{"1", "Ben", "Ng", "ben.ng@example.ac.uk", "1904-01-02", "1999-12-31 23:59:59", "0"},
						[]pipeline.CellType{N, T, T, T, D, D, N}},
				}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			if app := appName(t, path); !strings.HasPrefix(app, "LibreOffice") {
				t.Fatalf("%s was written by %q, not LibreOffice: regenerate it with testdata/make.sh", tc.file, app)
			}
			sharedStringModes(t, func(t *testing.T) {
				checkTables(t, readTables(t, path, read.Options{}), tc.want)
				sameAsExcelize(t, path)
			})
		})
	}
}

// sharedStringModes runs f with the shared string table held in memory, then with it spilled to
// a temporary file read back through an 8-byte window, so that nearly every string moves the
// window or comes from the cache of strings read out of order.
func sharedStringModes(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run("sst=memory", f)
	t.Run("sst=spilled", func(t *testing.T) {
		read.SpillSharedStrings(t, 8)
		f(t)
	})
}

// TestSpilledSharedStringsSameRows reads a workbook of a few thousand learners (shared
// strings, as Excel writes them) with the table in memory and spilled, through windows of
// several sizes, and in a copy whose rows are in the reverse order of the table (a sheet sorted
// after it was typed): the same records every time.
func TestSpilledSharedStringsSameRows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "learners.xlsx")
	writeWorkbook(t, path, 3000, false)
	reversed := filepath.Join(dir, "reversed.xlsx")
	reverseRows(t, path, reversed, 3001)
	var first []table
	for _, p := range []string{path, reversed} {
		want := readTables(t, p, read.Options{})
		if len(want) != 1 || len(want[0].recs) != 3000 {
			t.Fatalf("%s: read %d tables", p, len(want))
		}
		if first == nil {
			first = want
		} else if !reflect.DeepEqual(want[0].recs[0].Cells, first[0].recs[2999].Cells) {
			t.Fatalf("the reversed copy begins with %q", want[0].recs[0].Cells)
		}
		for _, window := range []int{1, 100, 64 << 10} {
			t.Run(fmt.Sprintf("%s/window=%d", filepath.Base(p), window), func(t *testing.T) {
				read.SpillSharedStrings(t, window)
				if got := readTables(t, p, read.Options{}); !reflect.DeepEqual(got, want) {
					t.Errorf("spilled, the records differ")
				}
			})
		}
	}
}

// reverseRows copies a one-sheet workbook with its data rows (all but the first) in reverse
// order. Rows and cells lose their references (the reader places them in order, as the format
// allows); the cells keep their shared string indices, so the table is read backwards.
func reverseRows(t *testing.T, from, to string, rows int) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	parts := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[f.Name] = string(b)
	}
	const sheet = "xl/worksheets/sheet1.xml"
	x := regexp.MustCompile(`(<(?:row|c)) r="[^"]*"`).ReplaceAllString(parts[sheet], "$1")
	start, end := strings.Index(x, "<row"), strings.LastIndex(x, "</row>")+len("</row>")
	rs := strings.SplitAfter(x[start:end], "</row>")
	rs = rs[:len(rs)-1] // the empty string after the last
	if len(rs) != rows {
		t.Fatalf("%d rows in the sheet, want %d", len(rs), rows)
	}
	slices.Reverse(rs[1:])
	parts[sheet] = x[:start] + strings.Join(rs, "") + x[end:]
	writeZip(t, to, parts)
}

// appName returns the Application of a workbook's docProps/app.xml.
func appName(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "docProps/app.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			s := string(b)
			if i := strings.Index(s, "<Application>"); i >= 0 {
				s = s[i+len("<Application>"):]
				if j := strings.Index(s, "<"); j >= 0 {
					return s[:j]
				}
			}
		}
	}
	return ""
}

// sameAsExcelize checks bulk's reading of a workbook against excelize's, cell by cell: the same
// row numbers (excelize's iterator counts a Next per row, gaps included), the same text for
// text and booleans, the same number for numbers, and for date cells the date excelize's own
// ExcelDateToTime makes of the raw serial in the workbook's date system.
func sameAsExcelize(t *testing.T, path string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props, err := f.GetWorkbookProps()
	if err != nil {
		t.Fatal(err)
	}
	date1904 := props.Date1904 != nil && *props.Date1904
	ours := map[string]table{}
	for _, tb := range readTables(t, path, read.Options{}) {
		ours[tb.src.Sheet] = tb
	}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.Rows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		theirs := map[int][]string{}
		for n := 1; rows.Next(); n++ {
			cells, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) > 0 {
				theirs[n] = cells
			}
		}
		rows.Close()
		tb, ok := ours[sheet]
		if !ok {
			if len(theirs) > 0 {
				t.Errorf("%s: bulk skipped sheet %s, which has %d rows", path, sheet, len(theirs))
			}
			continue
		}
		recs := append([]pipeline.Record{{Row: tb.src.HeaderRow, Cells: tb.src.Header}}, tb.recs...)
		for _, r := range recs {
			raw, ok := theirs[r.Row]
			if !ok {
				t.Errorf("%s!%d: bulk has %q, excelize no row", sheet, r.Row, r.Cells)
				continue
			}
			delete(theirs, r.Row)
			for i, v := range r.Cells {
				cell, _ := excelize.CoordinatesToCellName(i+1, r.Row)
				ex := ""
				if i < len(raw) {
					ex = raw[i]
				}
				typ := T
				if i < len(r.Types) {
					typ = r.Types[i]
				}
				if msg := compareCell(v, typ, ex, date1904); msg != "" {
					t.Errorf("%s!%s: %s", sheet, cell, msg)
				}
			}
			if len(raw) > len(r.Cells) && strings.Join(raw[len(r.Cells):], "") != "" {
				t.Errorf("%s row %d: excelize has more cells %q than bulk %q", sheet, r.Row, raw, r.Cells)
			}
		}
		for n, raw := range theirs {
			if strings.TrimSpace(strings.Join(raw, "")) != "" && n > tb.src.HeaderRow {
				t.Errorf("%s row %d: excelize has %q, bulk no row", sheet, n, raw)
			}
		}
	}
}

func compareCell(ours string, typ pipeline.CellType, raw string, date1904 bool) string {
	switch typ {
	case N:
		a, err1 := strconv.ParseFloat(ours, 64)
		b, err2 := strconv.ParseFloat(raw, 64)
		// A cell formatted as a percentage is read as the sheet shows it, 100 times its value
		// (TestPercentAsShown checks which cells those are).
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-14*math.Max(1, math.Abs(b)) }
		if err1 != nil || err2 != nil || !near(a, b) && !near(a, b*100) {
			return "bulk read the number " + ours + ", excelize " + raw
		}
		if strings.ContainsAny(ours, "eE") {
			return "bulk gave a number in scientific notation: " + ours
		}
	case D:
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return "bulk read a date " + ours + " where excelize has " + raw
		}
		tm, err := excelize.ExcelDateToTime(serial, date1904)
		if err != nil {
			return err.Error()
		}
		want := tm.Round(time.Second).Format("2006-01-02 15:04:05")
		if !strings.HasPrefix(want, ours) {
			return "bulk read the date " + ours + ", excelize " + want
		}
	case B:
		if (ours == "TRUE") != (raw == "1") {
			return "bulk read the boolean " + ours + ", excelize " + raw
		}
	default:
		if typ == T && strings.Count(ours, ":") == 2 && !strings.Contains(raw, ":") {
			return "" // a time of day: its serial is checked by the unit tests of serialText
		}
		if ours != raw {
			return "bulk read " + strconv.Quote(ours) + ", excelize " + strconv.Quote(raw)
		}
	}
	return ""
}

// TestExcelizeWorkbook reads a workbook excelize wrote in normal mode (shared strings, cell
// styles) with the cases a spreadsheet gives: gaps of rows, trailing and inner empty cells,
// numbers that print in scientific notation, built-in and custom date formats, a time, a
// boolean, a formula never calculated, and a value under no header.
func TestExcelizeWorkbook(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.xlsx")
	f := excelize.NewFile()
	style := func(fmtCode string, builtin int) int {
		t.Helper()
		s := &excelize.Style{NumFmt: builtin}
		if fmtCode != "" {
			s.CustomNumFmt = &fmtCode
		}
		id, err := f.NewStyle(s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	set := func(cell string, v any, styleID int) {
		t.Helper()
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
		if styleID > 0 {
			if err := f.SetCellStyle("Sheet1", cell, cell, styleID); err != nil {
				t.Fatal(err)
			}
		}
	}
	day := time.Date(2007, 3, 14, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 9, 7, 9, 30, 15, 0, time.UTC)
	for i, h := range []string{"ID", "Name", "When", "Amount", "Flag", ""} {
		if h != "" {
			cell, _ := excelize.CoordinatesToCellName(i+1, 1)
			set(cell, h, 0)
		}
	}
	// Row 2: built-in 14 (a date), a 1e21 number, a boolean.
	set("A2", 1000000043, 0)
	set("B2", "Amira", 0)
	set("C2", day, style("", 14))
	set("D2", 1e21, 0)
	set("E2", true, 0)
	// Rows 3-4 missing. Row 5: custom date-time, a decimal, the 17th digit of a float.
	set("A5", "007", 0)
	set("C5", at, style(`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy\ h:mm:ss\ AM/PM`, 0))
	set("D5", 0.1+0.2, 0)
	// Row 6: a month-year format, a number formatted 0.00E+00, a value under no header (F6).
	set("A6", 42, style("0.00E+00", 0))
	set("C6", day, style("mmm-yy", 0))
	set("F6", "stray note", 0)
	// Row 9: a formula excelize never calculates (no cached value), and nothing else.
	if err := f.SetCellFormula("Sheet1", "D9", "1+1"); err != nil {
		t.Fatal(err)
	}
	set("A9", "x", 0)
	// Row 1000: far away, with a time (built-in 20).
	set("A1000", "last", 0)
	set("C1000", time.Duration(0), 0)
	if err := f.SetCellFloat("Sheet1", "C1000", 0.75, -1, 64); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "C1000", "C1000", style("", 20)); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()

	sharedStringModes(t, func(t *testing.T) { checkExcelizeWorkbook(t, path) })
}

func checkExcelizeWorkbook(t *testing.T, path string) {
	t.Helper()
	got := readTables(t, path, read.Options{})
	checkTables(t, got, []wantTable{{sheet: "Sheet1", headerRow: 1, header: []string{"ID", "Name", "When", "Amount", "Flag"},
		rows: []wantRow{
			{2, []string{"1000000043", "Amira", "2007-03-14", "1000000000000000000000", "TRUE"}, []pipeline.CellType{N, T, D, N, B}},
			{5, []string{"007", "", "2026-09-07 09:30:15", "0.3"}, []pipeline.CellType{T, T, D, N}},
			{6, []string{"42", "", "2007-03-14", "", "", "stray note"}, []pipeline.CellType{N, T, D, T, T, T}},
			{9, []string{"x", "", "", ""}, []pipeline.CellType{T, T, T, F}},
			{1000, []string{"last", "", "18:00:00"}, []pipeline.CellType{T, T, T}},
		}}})
	// The value under no header is kept and reported, once, as a warning.
	var ps []pipeline.Problem
	for _, r := range got[0].recs {
		ps = append(ps, r.Problems...)
	}
	if len(ps) != 1 || ps[0].Row != 6 || ps[0].Rule != pipeline.RuleUnknownColumn || ps[0].Severity != pipeline.Warning || !strings.Contains(ps[0].Message, "F6") {
		t.Errorf("problems %+v, want one unknown-column warning on F6", ps)
	}
	sameAsExcelize(t, path)
}

// TestExcelize1904AndStream reads a 1904-system workbook and one excelize's StreamWriter wrote
// (inline strings, no shared string table).
func TestExcelize1904AndStream(t *testing.T) {
	dir := t.TempDir()
	yes := true
	f := excelize.NewFile()
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		t.Fatal(err)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	f.SetSheetRow("Sheet1", "A1", &[]any{"Name", "DOB"})
	f.SetCellValue("Sheet1", "A2", "Amira")
	f.SetCellValue("Sheet1", "B2", time.Date(2007, 3, 14, 12, 0, 0, 0, time.UTC))
	f.SetCellStyle("Sheet1", "B2", "B2", dateStyle)
	p1904 := filepath.Join(dir, "1904.xlsx")
	if err := f.SaveAs(p1904); err != nil {
		t.Fatal(err)
	}
	f.Close()

	p := filepath.Join(dir, "stream.xlsx")
	writeBenchWorkbook(t, p, 3)

	checkTables(t, readTables(t, p1904, read.Options{}), []wantTable{{sheet: "Sheet1", headerRow: 1, date1904: true,
		header: []string{"Name", "DOB"},
		rows:   []wantRow{{2, []string{"Amira", "2007-03-14 12:00:00"}, []pipeline.CellType{T, D}}}}})
	sameAsExcelize(t, p1904)

	got := readTables(t, p, read.Options{})
	if len(got) != 1 || len(got[0].recs) != 3 || !reflect.DeepEqual(got[0].src.Header, benchHeader) {
		t.Fatalf("stream workbook read as %+v", got)
	}
	r := got[0].recs[1]
	if r.Row != 3 || r.Cells[5] != validULN(1) || r.Types[5] != T || r.Cells[6] != "2006-09-02" || r.Types[6] != D || r.Cells[0] != "1" || r.Types[0] != N {
		t.Errorf("row %d %q %v", r.Row, r.Cells, r.Types)
	}
	sameAsExcelize(t, p)
}

// writeZip writes a package from part names and contents.
func writeZip(t *testing.T, path string, parts map[string]string) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHandWrittenPackage reads what other writers put in a package and excelize never writes:
// prefixed elements, rows and cells without references, absolute relationship targets, ISO
// date cells (t="d"), rich text and phonetic runs in shared strings, _xHHHH_ escapes, a chart
// sheet, and upper-case part names.
func TestHandWrittenPackage(t *testing.T) {
	const ns = `xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	parts := map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
			<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/xl/Workbook.xml"/></Relationships>`,
		"xl/Workbook.xml": `<x:workbook ` + ns + `><x:workbookPr/><x:sheets>
			<x:sheet name="Chart" sheetId="2" r:id="rId9"/>
			<x:sheet name="Data &amp; more" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>`,
		"xl/_rels/Workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
			<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/XL/worksheets/data.xml"/>
			<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/sheet1.xml"/>
			<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/>
			<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
			<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://example.com/" TargetMode="External"/></Relationships>`,
		"xl/strings.xml": `<x:sst ` + ns + ` count="3" uniqueCount="3">
			<x:si><x:t>Name</x:t></x:si>
			<x:si><x:r><x:t>Ami</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t xml:space="preserve">ra </x:t></x:r><x:rPh sb="0" eb="1"><x:t>アミラ</x:t></x:rPh></x:si>
			<x:si><x:t>line_x000D_break_x005F_x0041_</x:t></x:si></x:sst>`,
		"xl/styles.xml": `<x:styleSheet ` + ns + `><x:numFmts count="1"><x:numFmt numFmtId="200" formatCode="dd/mm/yyyy"/></x:numFmts>
			<x:cellStyleXfs count="2"><x:xf numFmtId="0"/><x:xf numFmtId="14"/></x:cellStyleXfs>
			<x:cellXfs count="3"><x:xf numFmtId="0"/><x:xf numFmtId="200"/><x:xf numFmtId="49"/></x:cellXfs></x:styleSheet>`,
		"XL/worksheets/data.xml": `<x:worksheet ` + ns + `><x:sheetData>
			<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="inlineStr"><x:is><x:t>When</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>Note</x:t></x:is></x:c><x:c><x:v>7</x:v></x:c></x:row>
			<x:row><x:c t="s"><x:v>1</x:v></x:c><x:c s="1"><x:v>39155</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c></x:row>
			<x:row r="7"><x:c r="B7" t="d" s="1"><x:v>2026-09-07T00:00:00Z</x:v></x:c><x:c t="d"><x:v>2026-09-07T10:15:00</x:v></x:c></x:row>
			<x:row><x:c r="A8" s="2"><x:v>12</x:v></x:c><x:c r="d8" t="str"><x:f>"x"</x:f><x:v>computed</x:v></x:c></x:row>
			</x:sheetData></x:worksheet>`,
	}
	path := filepath.Join(t.TempDir(), "hand.xlsx")
	writeZip(t, path, parts)
	sharedStringModes(t, func(t *testing.T) {
		checkTables(t, readTables(t, path, read.Options{}), []wantTable{{sheet: "Data & more", headerRow: 1,
			header: []string{"Name", "When", "Note", "7"},
			rows: []wantRow{
				{2, []string{"Amira ", "2007-03-14", "line\rbreak_x0041_"}, []pipeline.CellType{T, D, T}},
				{7, []string{"", "2026-09-07", "2026-09-07 10:15:00"}, []pipeline.CellType{T, D, D}},
				{8, []string{"12", "", "", "computed"}, []pipeline.CellType{N, T, T, T}},
			}}})
	})
}

// TestOpenXLSXErrors: files that are no workbook, and a sheet that is not there, give errors
// that say what to do.
func TestOpenXLSXErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		path string
		opts read.Options
		want []string
	}{
		{write("enc.xlsx", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...)), read.Options{}, []string{"enc.xlsx", "password"}},
		{write("text.xlsx", []byte("Name,Email\n")), read.Options{}, []string{"text.xlsx", "save it again"}},
		{write("empty.xlsx", nil), read.Options{}, []string{"empty"}},
		{filepath.Join("testdata", "lo-term.xlsx"), read.Options{Sheet: "Tutors"}, []string{`no sheet "Tutors"`, `"Learners"`, `"Misc"`}},
	}
	for _, tc := range tests {
		_, err := read.Open(tc.path, tc.opts)
		if err == nil {
			t.Errorf("%s: no error", tc.path)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", tc.path, err, w)
			}
		}
	}
}

// TestSheetOption reads one sheet only.
func TestSheetOption(t *testing.T) {
	got := readTables(t, filepath.Join("testdata", "lo-term.xlsx"), read.Options{Sheet: "Staff"})
	if len(got) != 1 || got[0].src.Sheet != "Staff" || len(got[0].recs) != 2 || got[0].recs[1].Row != 10 {
		t.Fatalf("read %+v", got)
	}
}

// TestSheetOptionIgnoresCase: --sheet learners reads the sheet "Learners"; where a workbook
// holds two sheets that differ only by case, the one written exactly as asked is read, and a
// name that matches both but neither exactly is an error naming them.
func TestSheetOptionIgnoresCase(t *testing.T) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	sheet := func(header string) string {
		return `<worksheet ` + ns + `><sheetData><row r="1"><c t="inlineStr"><is><t>` + header + `</t></is></c></row></sheetData></worksheet>`
	}
	twins := filepath.Join(t.TempDir(), "twins.xlsx")
	writeZip(t, twins, map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
			<Relationship Id="rId1" Type="` + rel + `officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<workbook ` + ns + `><sheets>
			<sheet name="Learners" sheetId="1" r:id="rId1"/><sheet name="LEARNERS" sheetId="2" r:id="rId2"/>
			<sheet name="Staff" sheetId="3" r:id="rId3"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
			<Relationship Id="rId1" Type="` + rel + `worksheet" Target="worksheets/sheet1.xml"/>
			<Relationship Id="rId2" Type="` + rel + `worksheet" Target="worksheets/sheet2.xml"/>
			<Relationship Id="rId3" Type="` + rel + `worksheet" Target="worksheets/sheet3.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": sheet("first"),
		"xl/worksheets/sheet2.xml": sheet("second"),
		"xl/worksheets/sheet3.xml": sheet("third"),
	})
	loTerm := filepath.Join("testdata", "lo-term.xlsx")
	tests := []struct {
		path, sheet string
		want        string // the sheet read
		header      string // its first header cell; "" when the file is not twins.xlsx
	}{
		{loTerm, "learners", "Learners", ""},
		{loTerm, "STAFF", "Staff", ""},
		{twins, "Learners", "Learners", "first"},
		{twins, "LEARNERS", "LEARNERS", "second"},
		{twins, "staff", "Staff", "third"},
	}
	for _, tc := range tests {
		got := readTables(t, tc.path, read.Options{Sheet: tc.sheet})
		if len(got) != 1 || got[0].src.Sheet != tc.want || (tc.header != "" && got[0].src.Header[0] != tc.header) {
			var read []string
			for _, g := range got {
				read = append(read, g.src.Sheet+": "+strings.Join(g.src.Header, ","))
			}
			t.Errorf("%s --sheet %s: read %q, want only %s", filepath.Base(tc.path), tc.sheet, read, tc.want)
		}
	}

	errs := []struct {
		path, sheet string
		sheets      []string
		alike       []string
		says        string
	}{
		{twins, "learners", []string{"Learners", "LEARNERS", "Staff"}, []string{"Learners", "LEARNERS"}, "only by case"},
		{loTerm, "Learner", []string{"Learners", "Staff", "Empty", "Misc"}, nil, `no sheet "Learner"`},
	}
	for _, tc := range errs {
		_, err := read.Open(tc.path, read.Options{Sheet: tc.sheet})
		var se *read.SheetError
		if !errors.As(err, &se) {
			t.Errorf("--sheet %s: error %v, want a *read.SheetError", tc.sheet, err)
			continue
		}
		if se.Sheet != tc.sheet || !reflect.DeepEqual(se.Sheets, tc.sheets) || !reflect.DeepEqual(se.Alike, tc.alike) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("--sheet %s: %+v (%q); want sheets %q, alike %q, saying %q", tc.sheet, se, err, tc.sheets, tc.alike, tc.says)
		}
	}
}

// TestDamagedSheet: a sheet cut off mid-row is an error naming the damage, not a silent stop.
func TestDamagedSheet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.xlsx")
	writeZip(t, path, map[string]string{
		"xl/workbook.xml":            `<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>A</t></is></c></row><row r="2"><c><v>1</v></c>`,
	})
	in, err := read.Open(path, read.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	tb, err := in.NextTable()
	if err != nil {
		t.Fatal(err)
	}
	var rec pipeline.Record
	err = tb.Next(&rec)
	if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Next = %v, want an error about the damage", err)
	}
}

// TestMangledIDsReachFieldChecks runs the LibreOffice workbook through the pipeline with a kind
// whose ID has a known length: the cell types the reader sets are what let the field checks tell
// an ID that lost its leading zeros (a number) or its digits (scientific text) from a good one.
func TestMangledIDsReachFieldChecks(t *testing.T) {
	k := &pipeline.Kind{Name: "test-ids", Fields: []pipeline.Field{
		{Name: "FirstName", Synonyms: []string{"First Name"}, Required: true},
		{Name: "MISID", Synonyms: []string{"MIS ID"}, Digits: 6},
		{Name: "ULN", Type: pipeline.ULN},
		{Name: "DOB", Synonyms: []string{"Date of Birth"}, Type: pipeline.Date},
	}}
	in, err := read.Open(filepath.Join("testdata", "lo-term.xlsx"), read.Options{Sheet: "Learners"})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rep := report.New(t.TempDir(), false)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: k, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems() {
		if p.Severity == pipeline.Error {
			got = append(got, fmt.Sprintf("%d %s %s %q", p.Row, p.Column, p.Rule, p.Value))
		}
	}
	want := []string{
		`3 MIS ID excel-mangled "123"`,
		`3 ULN excel-mangled "1.23457E+09"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRejectsWorkbookResaved reads a rejects.xlsx bulk wrote, opened and saved again by
// LibreOffice: the keyword that marks it survives, so its Problems column is not taken for data,
// and the rejected row reads as it was in the original input (dates as dates, numbers as
// numbers, text as text).
func TestRejectsWorkbookResaved(t *testing.T) {
	path := filepath.Join("testdata", "lo-rejects.xlsx")
	if app := appName(t, path); !strings.HasPrefix(app, "LibreOffice") {
		t.Fatalf("written by %q", app)
	}
	got := readTables(t, path, read.Options{})
	checkTables(t, got, []wantTable{{sheet: "Learners", headerRow: 1,
		header: []string{"Role", "First Name", "Surname", "Email", "MIS ID", "ULN", "Date of Birth", "Enrolled", "Fee", "Active"},
		rows: []wantRow{
			{2, []string{"1", "Ben", "Ng", "ben.ng@example.ac.uk", "123", "1.23457E+09", "2006-11-02", "", "0.1", "FALSE"},
				[]pipeline.CellType{N, T, T, T, N, T, D, T, N, B}},
		}}})
	for _, r := range got[0].recs {
		if len(r.Problems) > 0 {
			t.Errorf("row %d: %+v", r.Row, r.Problems)
		}
	}
}

// TestDigitGroupFormats: a number formatted with zeros in groups (00000 000000, a UK mobile;
// 000-000-0000) is read as the spreadsheet shows it, its leading zero and its separators kept,
// as a format of zeros only (000000) already is: otherwise 07700 900123 in the cell arrives as
// 7700900123 and is warned about as a number that lost its leading 0, which it never did.
func TestDigitGroupFormats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phones.xlsx")
	f := excelize.NewFile()
	tests := []struct {
		code string
		v    int64
		want string
	}{
		{"00000 000000", 7700900123, "07700 900123"},
		{`00000\ 000000`, 7700900124, "07700 900124"},
		{"000-000-0000", 2025550123, "202-555-0123"},
		{`0000" "000" "0000`, 2079460000, "0207 946 0000"},
		{"000000", 456, "000456"},
		{"00 00", 123456, "1234 56"}, // more digits than zeros: the first group takes them
		{"0.00", 7, "7"},             // not a format of zeros and separators: the number
	}
	if err := f.SetCellValue("Sheet1", "A1", "Phone"); err != nil {
		t.Fatal(err)
	}
	var rows []wantRow
	for i, tc := range tests {
		code := tc.code
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Fatal(err)
		}
		cell := "A" + strconv.Itoa(i+2)
		if err := f.SetCellValue("Sheet1", cell, tc.v); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle("Sheet1", cell, cell, id); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, wantRow{i + 2, []string{tc.want}, []pipeline.CellType{N}})
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	checkTables(t, readTables(t, path, read.Options{}), []wantTable{{sheet: "Sheet1", headerRow: 1, header: []string{"Phone"}, rows: rows}})
}
