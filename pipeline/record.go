package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Source is one table of input: a CSV file, or one sheet of a workbook.
type Source struct {
	Index     int    // position among the run's tables; keys per-table state
	Path      string // as the user gave it
	File      string // base name, as reports show it
	Sheet     string // empty for CSV
	Header    []string
	HeaderRow int // as the spreadsheet numbers it (1 unless blank rows precede the header)
	// Above is how many rows with values were passed over above the header (a title, a note):
	// they are not data. The run says which row it took for the header when there are any.
	Above     int
	Date1904  bool // the workbook counts dates from 1904
	Encoding  string
	Delimiter rune
}

// Where names the table for messages: "learners.csv" or "term.xlsx, sheet Learners".
func (s *Source) Where() string {
	if s.Sheet == "" {
		return s.File
	}
	return fmt.Sprintf("%s, sheet %s", s.File, s.Sheet)
}

func (s *Source) tableWord() string {
	if s.Sheet == "" {
		return "file"
	}
	return "sheet"
}

// CellType is what a spreadsheet cell held before it became text. CSV cells are all CellText.
type CellType uint8

const (
	CellText CellType = iota
	CellNumber
	CellDate // the reader wrote the value as yyyy-mm-dd or yyyy-mm-dd HH:MM:SS
	CellBool
	CellFormula
)

// Record is one data row as read: its provenance and its cells in input column order. The cells
// stay as the user wrote them, so a rejected row can be given back exactly.
type Record struct {
	Src      *Source
	Row      int        // as the spreadsheet numbers it
	Cells    []string   // in the table's column order; may be shorter than the header
	Types    []CellType // parallel to Cells; nil when every cell is text
	Problems []Problem  // raised by the reader (malformed, encoding)
	// Origin is set on a row of a rejects.xlsx given back: where the row came from (an
	// Origin's Encode, from the workbook's hidden Origin column), so the run knows it as that
	// row corrected. Empty for every other row.
	Origin string
}

// Origin is where a row of rejects.xlsx came from: an input's table and row, as the run that
// rejected it read them. It travels in a hidden column of each row, so it survives the officer
// sorting, filtering or deleting rows, and across rounds of fixing.
type Origin struct {
	Path  string `json:"path"` // relative to the rejects.xlsx holding it (or absolute), to find the input again
	File  string `json:"file"` // as reports named it
	Sheet string `json:"sheet,omitempty"`
	Row   int    `json:"row"`
}

// Encode writes o for the Origin column.
func (o Origin) Encode() string {
	b, _ := json.Marshal(o)
	return string(b)
}

// ParseOrigin reads an Origin column's cell; ok is false for anything bulk did not write.
func ParseOrigin(s string) (o Origin, ok bool) {
	if err := json.Unmarshal([]byte(s), &o); err != nil || o.File == "" || o.Row < 1 {
		return Origin{}, false
	}
	return o, true
}

// Where names the original row for people: "row 7 of learners.csv" or "row 7 of term.xlsx,
// sheet Learners".
func (o Origin) Where() string {
	if o.Sheet == "" {
		return fmt.Sprintf("row %d of %s", o.Row, o.File)
	}
	return fmt.Sprintf("row %d of %s, sheet %s", o.Row, o.File, o.Sheet)
}

// Corrected says where a row of a rejects.xlsx given back came from, for messages: "row 7 of
// learners.csv, corrected in rejects.xlsx"; "" for a row that is no correction.
func (r *Record) Corrected() string {
	if r.Origin == "" {
		return ""
	}
	o, ok := ParseOrigin(r.Origin)
	if !ok {
		return ""
	}
	in := "rejects.xlsx"
	if r.Src != nil {
		in = r.Src.File
	}
	return o.Where() + ", corrected in " + in
}

// Reset empties r for reuse, keeping its slices' capacity.
func (r *Record) Reset() {
	r.Src = nil
	r.Row = 0
	r.Cells = r.Cells[:0]
	r.Types = r.Types[:0]
	r.Problems = r.Problems[:0]
	r.Origin = ""
}

// Empty reports whether every cell is blank (such rows are skipped, not counted).
func (r *Record) Empty() bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Row is what rules see: a record through its table's mapping, and the problems found so far.
type Row struct {
	// The fields the in-order sequencer reads for every row come first, in one cache line:
	// a worker on the other core wrote them, so each further line is one more transfer.
	Rec      *Record
	Problems []Problem
	errors   int32
	// Note is a small value a kind's row rules may leave for its cross-row checks. The rules
	// run on a worker that has the row's cells in its cache; Cross.Check runs on the sequencer's
	// goroutine, where every cell read is a trip to memory another core wrote (measured: the
	// onefile cross check spent most of its time reading the role cell). 0 means nothing left.
	Note uint32

	Map  *Mapping
	Opts *RowOptions
	// NotData: the row is not a row of data (a totals line): it is reported and passed over,
	// never sent.
	NotData  bool
	dates    []parsedDate // dates parsed so far on this row
	dateErrs []error      // why the dates of dates that are not dates are not
	datesOf  *Record      // the record (and row) dates holds the dates of
	datesRow int
}

// RowOptions are run settings rules may need.
type RowOptions struct {
	MonthFirst bool      // --date-order mdy
	Settings   any       // Options.Settings: the target's settings, for the kind that knows their type
	now        time.Time // the clock read once per run: the date checks of every row need it
	todayDay   int       // the day number of now's day (see TodayDay)
}

// Kind returns the row's kind.
func (r *Row) Kind() *Kind { return r.Map.Kind }

// Has reports whether the table has a column for field f.
func (r *Row) Has(f int) bool { return f >= 0 && r.Map.Col[f] >= 0 }

// Value returns field f's cell with surrounding spaces removed, or "" when absent.
func (r *Row) Value(f int) string {
	if f < 0 {
		return ""
	}
	c := r.Map.Col[f]
	if c < 0 || c >= len(r.Rec.Cells) {
		return ""
	}
	v := r.Rec.Cells[c]
	// Nearly every cell has nothing to trim: say so without a call (rules ask for values often).
	if v == "" || v[0] > ' ' && v[0] < utf8.RuneSelf && v[len(v)-1] > ' ' && v[len(v)-1] < utf8.RuneSelf {
		return v
	}
	return strings.TrimSpace(v)
}

// CellType returns what the spreadsheet cell of field f held.
func (r *Row) CellType(f int) CellType {
	c := r.Map.Col[f]
	if c < 0 || c >= len(r.Rec.Types) {
		return CellText
	}
	return r.Rec.Types[c]
}

// Column returns the header under which field f stands in this table, or the canonical name.
func (r *Row) Column(f int) string {
	if f < 0 {
		return ""
	}
	if c := r.Map.Col[f]; c >= 0 && c < len(r.Rec.Src.Header) {
		return r.Rec.Src.Header[c]
	}
	return r.Map.Kind.Fields[f].Name
}

// Report adds a problem on field f (f < 0: the whole row).
func (r *Row) Report(f int, rule string, sev Severity, msg string) {
	src := r.Rec.Src
	// The value is copied: the report keeps it, and a reader may keep cells in blocks shared by
	// many rows (see read's csvTable.text), which a kept slice would keep alive whole.
	v := r.Value(f)
	if f >= 0 && r.Rec.Types != nil && r.CellType(f) == CellDate {
		// A workbook's date cell, read as 2028-08-31: shown as the officer sees it.
		v = ShownDate(v, r.Opts != nil && r.Opts.MonthFirst)
	} else {
		v = strings.Clone(v)
	}
	if r.Rec.Origin != "" {
		if c := r.Rec.Corrected(); c != "" {
			msg += " (" + c + ")" // the officer's row, as the first report named it
		}
	}
	r.Problems = append(r.Problems, Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: r.Rec.Row,
		Column: r.Column(f), Value: v, Rule: rule, Severity: sev, Message: msg})
	if sev == Error {
		r.errors++
	}
}

// Errorf reports an error on field f.
func (r *Row) Errorf(f int, rule, format string, args ...any) {
	r.Report(f, rule, Error, fmt.Sprintf(format, args...))
}

// Warnf reports a warning on field f.
func (r *Row) Warnf(f int, rule, format string, args ...any) {
	r.Report(f, rule, Warning, fmt.Sprintf(format, args...))
}

// HasErrors reports whether any problem so far rejects the row.
func (r *Row) HasErrors() bool { return r.errors > 0 }

// FieldHasError reports whether field f already has an error (so later rules need not pile on).
func (r *Row) FieldHasError(f int) bool {
	if r.errors == 0 {
		return false // the usual row: no need to name the column
	}
	col := r.Column(f)
	for i := range r.Problems {
		if r.Problems[i].Severity == Error && r.Problems[i].Column == col {
			return true
		}
	}
	return false
}

// Where names the row for messages about another row: "row 4" or "row 4 of learners.csv".
func (r *Row) Where(from *Source) string {
	w := fmt.Sprintf("row %d of %s", r.Rec.Row, r.Rec.Src.Where())
	if from == r.Rec.Src {
		w = fmt.Sprintf("row %d", r.Rec.Row)
	}
	if c := r.Rec.Corrected(); c != "" {
		w += " (" + c + ")"
	}
	return w
}

// ShownDate is a date cell's value as the reader wrote it (2028-08-31, or 2028-08-31 09:30:00)
// in the day order a data officer types and sees: 31/08/2028, or 08/31/2028 when monthFirst,
// with the time when there is one (31/08/2028 09:30). Anything else is returned as it is.
func ShownDate(v string, monthFirst bool) string {
	day := "02/01/2006"
	if monthFirst {
		day = "01/02/2006"
	}
	if t, err := time.Parse("2006-01-02 15:04:05", v); err == nil {
		if t.Second() != 0 {
			return t.Format(day + " 15:04:05")
		}
		return t.Format(day + " 15:04")
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.Format(day)
	}
	return strings.Clone(v)
}
