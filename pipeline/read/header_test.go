package read

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

// fieldScore scores a row as pipeline.HeaderScore does for one kind whose fields are these: the
// distinct cells that name one. The reader only compares scores, so any such count tests it.
func fieldScore(fields ...string) func([]string) int {
	return func(cells []string) int {
		seen := map[string]bool{}
		for _, c := range cells {
			for _, f := range fields {
				if strings.EqualFold(strings.TrimSpace(c), f) {
					seen[f] = true
				}
			}
		}
		return len(seen)
	}
}

var learnerScore = fieldScore("FirstName", "LastName", "Email", "Role")

func TestCSVHeaderBelowATitle(t *testing.T) {
	const titled = "Northfield Training - September 2026 starters,,\n,,\n,,\nFirstName,LastName,Email\nAmira,Khan,amira@example.ac.uk\nOliver,Bennett,oliver@example.ac.uk\n"
	for _, tc := range []struct {
		name      string
		data      string
		o         Options
		header    []string
		headerRow int
		above     int
		rows      []int
	}{
		{"title, blank rows, header on row 4", titled, Options{HeaderScore: learnerScore},
			[]string{"FirstName", "LastName", "Email"}, 4, 1, []int{5, 6}},
		{"--header-row 4", titled, Options{HeaderRow: 4},
			[]string{"FirstName", "LastName", "Email"}, 4, 1, []int{5, 6}},
		{"--header-row wins over the score", titled, Options{HeaderRow: 5, HeaderScore: learnerScore},
			[]string{"Amira", "Khan", "amira@example.ac.uk"}, 5, 2, []int{6}},
		{"without a score the first row with values is the header, as before", titled, Options{},
			[]string{"Northfield Training - September 2026 starters", "", ""}, 1, 0, []int{4, 5, 6}},
		{"leading blank lines still work", "\n\nFirstName,LastName,Email\na,b,c@example.ac.uk\n", Options{HeaderScore: learnerScore},
			[]string{"FirstName", "LastName", "Email"}, 3, 0, []int{4}},
		{"a note naming one field is not a header", "FirstName,LastName,Email\nEmail us,,\nNote,Email,x\n", Options{HeaderScore: learnerScore},
			[]string{"FirstName", "LastName", "Email"}, 1, 0, []int{2, 3}},
		{"the first of equal rows wins", "Email,FirstName\nEmail,FirstName\n", Options{HeaderScore: learnerScore},
			[]string{"Email", "FirstName"}, 1, 0, []int{2}},
		{"a header that matches nothing stays the first row", "a,b\nc,d\n", Options{HeaderScore: learnerScore},
			[]string{"a", "b"}, 1, 0, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readCSVBytes(t, []byte(tc.data), tc.o)
			var rows []int
			for _, row := range r.Rows {
				rows = append(rows, row.Row)
			}
			if !reflect.DeepEqual(r.Header, tc.header) || r.HeaderRow != tc.headerRow || !reflect.DeepEqual(rows, tc.rows) {
				t.Errorf("header %q on row %d, rows %v; want %q on row %d, rows %v", r.Header, r.HeaderRow, rows, tc.header, tc.headerRow, tc.rows)
			}
		})
	}
}

// TestCSVHeaderFoundOnlyAmongTheFirstRows: a header further down than HeaderSearch rows with
// values is not looked for (detection reads only the first rows).
func TestCSVHeaderFoundOnlyAmongTheFirstRows(t *testing.T) {
	var b strings.Builder
	for i := 0; i < HeaderSearch; i++ {
		b.WriteString("note,,\n")
	}
	b.WriteString("FirstName,LastName,Email\n")
	r := readCSVBytes(t, []byte(b.String()), Options{HeaderScore: learnerScore})
	if r.HeaderRow != 1 {
		t.Errorf("header on row %d, want 1: row %d is past the rows looked through", r.HeaderRow, HeaderSearch+1)
	}
}

func TestCSVHeaderRowAbove(t *testing.T) {
	for _, tc := range []struct {
		o     Options
		above int
	}{{Options{HeaderScore: learnerScore}, 2}, {Options{HeaderRow: 4}, 2}, {Options{}, 0}} {
		path := writeCSV(t, "Title\nSubtitle\n\nFirstName,LastName,Email\nx,y,z\n")
		in, err := OpenCSV(path, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := in.NextTable()
		if got := tb.Source().Above; got != tc.above {
			t.Errorf("%+v: %d rows above the header, want %d", tc.o, got, tc.above)
		}
		in.Close()
	}
}

func TestHeaderRowErrors(t *testing.T) {
	for _, tc := range []struct {
		data string
		row  int
		want string
	}{
		{"a,b\n\nc,d\n", 2, "row 2 of in.csv, the header row asked for (--header-row), is empty"},
		{"a,b\nc,d\n", 9, "in.csv ends before row 9"},
	} {
		path := writeCSV(t, tc.data)
		_, err := OpenCSV(path, Options{HeaderRow: tc.row})
		var he *HeaderRowError
		if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--header-row %d of %q: %v, want a HeaderRowError saying %q", tc.row, tc.data, err, tc.want)
		}
	}
}

func writeCSV(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readPX reads an openpyxl workbook of testdata (see testdata/openpyxl/make.py).
func readPX(t *testing.T, name string, o Options) (srcs []*pipeline.Source, recs [][]pipeline.Record, hidden []string) {
	t.Helper()
	in, err := Open("testdata/"+name, o)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	hidden = in.(interface{ HiddenSheets() []string }).HiddenSheets()
	for {
		tb, err := in.NextTable()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, tb.Source())
		var rs []pipeline.Record
		for {
			var rec pipeline.Record
			if err := tb.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, rec)
		}
		recs = append(recs, rs)
	}
}

// TestOfficerWorkbook reads the workbook of issue 11, as openpyxl wrote it: a title above the
// header on row 4 (from column B), rows hidden by hand and by an autofilter, a hidden and a
// very hidden sheet.
func TestOfficerWorkbook(t *testing.T) {
	score := fieldScore("Role", "FirstName", "LastName", "Email", "MISID", "ULN")
	t.Run("hidden sheets are passed over and named", func(t *testing.T) {
		srcs, recs, hidden := readPX(t, "px-officer.xlsx", Options{HeaderScore: score})
		if want := []string{"Old learners 2024", "Lookups"}; !reflect.DeepEqual(hidden, want) {
			t.Errorf("hidden sheets %q, want %q", hidden, want)
		}
		if len(srcs) != 1 || srcs[0].Sheet != "Learners" {
			t.Fatalf("read %d tables, want only Learners", len(srcs))
		}
		src := srcs[0]
		if src.HeaderRow != 4 || src.Above != 1 || src.Header[0] != "" || src.Header[1] != "Role" {
			t.Errorf("header %q on row %d with %d above; want Role... from column B on row 4, 1 above", src.Header, src.HeaderRow, src.Above)
		}
		var rows []int
		hiddenRows := map[int]string{}
		for _, r := range recs[0] {
			rows = append(rows, r.Row)
			for _, p := range r.Problems {
				if p.Rule == RuleHiddenRow {
					hiddenRows[r.Row] = p.Message
					if p.Severity != pipeline.Warning || p.Row != r.Row {
						t.Errorf("row %d: hidden-row is a %v on row %d, want a warning on its row", r.Row, p.Severity, p.Row)
					}
				}
			}
		}
		if want := []int{5, 6, 7, 8, 9, 10, 11}; !reflect.DeepEqual(rows, want) {
			t.Errorf("rows %v, want %v", rows, want)
		}
		if len(hiddenRows) != 2 || !strings.HasPrefix(hiddenRows[7], "Row 7 is hidden in Excel") || hiddenRows[8] == "" {
			t.Errorf("hidden-row warnings %v, want rows 7 (hidden) and 8 (filtered out)", hiddenRows)
		}
	})
	t.Run("--include-hidden reads them", func(t *testing.T) {
		srcs, _, hidden := readPX(t, "px-officer.xlsx", Options{HeaderScore: score, IncludeHidden: true})
		var names []string
		for _, s := range srcs {
			names = append(names, s.Sheet)
		}
		if want := []string{"Learners", "Old learners 2024", "Lookups"}; len(hidden) != 0 || !reflect.DeepEqual(names, want) {
			t.Errorf("read %q (passed over %q), want %q", names, hidden, want)
		}
	})
	t.Run("--sheet names a hidden sheet", func(t *testing.T) {
		srcs, recs, _ := readPX(t, "px-officer.xlsx", Options{Sheet: "Old learners 2024"})
		if len(srcs) != 1 || len(recs[0]) != 1 || recs[0][0].Cells[1] != "Old" {
			t.Errorf("--sheet of a hidden sheet read %d tables, want it", len(srcs))
		}
	})
	t.Run("--header-row", func(t *testing.T) {
		srcs, recs, _ := readPX(t, "px-officer.xlsx", Options{HeaderRow: 4})
		if srcs[0].HeaderRow != 4 || srcs[0].Above != 1 || len(recs[0]) != 7 {
			t.Errorf("header row %d, %d above, %d rows; want 4, 1, 7", srcs[0].HeaderRow, srcs[0].Above, len(recs[0]))
		}
		if _, err := Open("testdata/px-officer.xlsx", Options{HeaderRow: 3}); err != nil {
			t.Fatal(err) // sheets are opened one by one: the error comes with the table
		}
		in, _ := Open("testdata/px-officer.xlsx", Options{HeaderRow: 3})
		defer in.Close()
		if _, err := in.NextTable(); err == nil || !strings.Contains(err.Error(), "row 3 of px-officer.xlsx, sheet Learners") {
			t.Errorf("--header-row 3 (an empty row): %v", err)
		}
	})
}

// TestCSVRowsAsASpreadsheetShowsThem: after a 3-line quoted address, the next record is row 3 as
// a spreadsheet shows it, and a problem on it names the file's line as well.
func TestCSVRowsAsASpreadsheetShowsThem(t *testing.T) {
	r := readCSVBytes(t, []byte("Name,Address\nAmira,\"1 High St\nLeeds\nLS1 1AA\"\nJo,\"bad\"x\nSam,fine\n"), Options{})
	var rows []int
	for _, row := range r.Rows {
		rows = append(rows, row.Row)
	}
	if want := []int{2, 3, 4}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %v, want %v", rows, want)
	}
	if len(r.Messages) != 1 || !strings.HasSuffix(r.Messages[0], "(Row 3 starts on line 5 of the file.)") {
		t.Errorf("messages %q, want one naming line 5 of the file", r.Messages)
	}
	// Where the row is the line, the message does not say so twice.
	r = readCSVBytes(t, []byte("Name,Address\nJo,\"bad\"x\n"), Options{})
	if len(r.Messages) != 1 || strings.Contains(r.Messages[0], "of the file") {
		t.Errorf("messages %q, want one without a line number", r.Messages)
	}
}

// TestPercentAsShown: a number formatted as a percentage is read as the sheet shows it (0.92
// shown as 92% is 92), from built-in and custom formats (openpyxl wrote them).
func TestPercentAsShown(t *testing.T) {
	_, recs, _ := readPX(t, "px-numbers.xlsx", Options{})
	var got []string
	for _, r := range recs[0] {
		got = append(got, r.Cells[1])
	}
	if want := []string{"92", "92.5", "7", "0.5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("scores %q, want %q", got, want)
	}
}
