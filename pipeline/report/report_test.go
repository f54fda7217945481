package report

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+44 7700 900123", "'+44 7700 900123"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"plain", "plain"},
		{"", ""},
	} {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRejectsNoBOM: --csv-bom=false writes rejects.csv as plain UTF-8 for scripts.
func TestRejectsNoBOM(t *testing.T) {
	for _, noBOM := range []bool{false, true} {
		dir := t.TempDir()
		r := New(dir, false)
		r.NoBOM = noBOM
		if err := r.Write(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "rejects.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasPrefix(string(b), BOM); got == noBOM || !strings.HasPrefix(strings.TrimPrefix(string(b), BOM), "file,sheet,row") {
			t.Errorf("NoBOM %v: rejects.csv starts %q", noBOM, b[:min(len(b), 20)])
		}
	}
}

func TestWriteRejectsAndSummary(t *testing.T) {
	dir := t.TempDir()
	r := New(dir, false)
	src := &pipeline.Source{Index: 0, File: "l.csv", Header: []string{"A", "B"}, HeaderRow: 1}
	k := &pipeline.Kind{Name: "k"}
	r.Table(src, k, []pipeline.Problem{{Source: src, File: "l.csv", Row: 1, Column: "B", Rule: "unknown-column", Severity: pipeline.Warning, Message: "w"}})
	row := func(n int, ps ...pipeline.Problem) *pipeline.Row {
		return &pipeline.Row{Rec: &pipeline.Record{Src: src, Row: n}, Problems: ps}
	}
	p := func(n int, col, val string) pipeline.Problem {
		return pipeline.Problem{Source: src, File: "l.csv", Row: n, Column: col, Value: val, Rule: "required", Severity: pipeline.Error, Message: "m"}
	}
	r.Row(row(3, p(3, "B", "=1+1"), p(3, "A", "")), pipeline.Rejected)
	r.Row(row(2), pipeline.Accepted)
	r.Problem(p(2, "A", "late"))
	if err := r.Write(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Excel on Windows needs the byte order mark to read the file as UTF-8.
	body, ok := strings.CutPrefix(string(b), BOM)
	if !ok {
		t.Errorf("rejects.csv does not start with a UTF-8 byte order mark: %q", b[:min(len(b), 8)])
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		RejectsHeader,
		{"l.csv", "", "1", "B", "", "unknown-column", "warning", "w"},
		{"l.csv", "", "2", "A", "late", "required", "error", "m"},
		{"l.csv", "", "3", "A", "", "required", "error", "m"},
		{"l.csv", "", "3", "B", "'=1+1", "required", "error", "m"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("rejects.csv =\n%q\nwant\n%q", recs, want)
	}
	var s Summary
	b, _ = os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.RowsRead != 2 || s.RowsRejected != 2 || s.RowsValid != 0 || s.Warnings != 1 || s.ProblemsByRule["required"] != 3 {
		t.Errorf("summary = %+v", s)
	}
}

// TestCountsSkipped: skipped rows are valid rows; the row's outcome is the pipeline's (which
// applies --strict before the sink), and a late error moves a skipped row to rejected. Read ==
// Valid + Rejected always.
func TestCountsSkipped(t *testing.T) {
	src := &pipeline.Source{Index: 0, File: "l.csv", Header: []string{"A"}, HeaderRow: 1}
	warn := pipeline.Problem{Source: src, File: "l.csv", Column: "A", Rule: "r", Severity: pipeline.Warning, Message: "w"}
	type row struct {
		n    int
		out  pipeline.Outcome
		warn bool
	}
	tests := []struct {
		name   string
		strict bool
		rows   []row
		late   []int // rows a late error names
		want   Counts
	}{
		{"outcomes as told", false, []row{{2, pipeline.Accepted, false}, {3, pipeline.Skipped, false}, {4, pipeline.Rejected, false}, {5, pipeline.Skipped, true}},
			nil, Counts{Read: 4, Valid: 3, Rejected: 1, Warnings: 1, Skipped: 2}},
		{"strict: the pipeline's outcome stands", true, []row{{2, pipeline.Rejected, true}, {3, pipeline.Skipped, false}},
			nil, Counts{Read: 2, Valid: 1, Rejected: 1, Warnings: 1, Skipped: 1}},
		{"a late error on a skipped row", false, []row{{2, pipeline.Skipped, false}, {3, pipeline.Skipped, false}},
			[]int{3, 3}, Counts{Read: 2, Valid: 1, Rejected: 1, Skipped: 1}},
		{"a late error on a rejected row changes nothing", false, []row{{2, pipeline.Rejected, false}, {3, pipeline.Skipped, false}},
			[]int{2}, Counts{Read: 2, Valid: 1, Rejected: 1, Skipped: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(t.TempDir(), tc.strict)
			r.Table(src, &pipeline.Kind{Name: "k"}, nil)
			for _, rw := range tc.rows {
				pr := &pipeline.Row{Rec: &pipeline.Record{Src: src, Row: rw.n}}
				if rw.warn {
					w := warn
					w.Row = rw.n
					pr.Problems = []pipeline.Problem{w}
				}
				r.Row(pr, rw.out)
			}
			for _, n := range tc.late {
				r.Problem(pipeline.Problem{Source: src, File: "l.csv", Row: n, Rule: "reference", Severity: pipeline.Error, Message: "late"})
			}
			c := r.Counts()
			if c != tc.want {
				t.Errorf("counts %+v, want %+v", c, tc.want)
			}
			if c.Read != c.Valid+c.Rejected || c.Skipped > c.Valid {
				t.Errorf("counts %+v do not add up", c)
			}
		})
	}
}

// TestSummaryHeaderRows: a header found below a title is named in summary.json, as the
// terminal's "header on row 4" notice names it; a table whose header is its first row is not.
func TestSummaryHeaderRows(t *testing.T) {
	dir := t.TempDir()
	r := New(dir, false)
	k := &pipeline.Kind{Name: "k"}
	r.Table(&pipeline.Source{Index: 0, File: "plain.csv", HeaderRow: 1}, k, nil)
	r.Table(&pipeline.Source{Index: 1, File: "term.xlsx", Sheet: "Learners", HeaderRow: 4, Above: 2}, k, nil)
	if err := r.Write(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"file": "term.xlsx", "sheet": "Learners", "row": 4.0, "rows_above": 2.0}}
	if !reflect.DeepEqual(m["header_rows"], want) {
		t.Errorf("header_rows = %#v, want %#v", m["header_rows"], want)
	}
}
