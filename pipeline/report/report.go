// Package report is the sink every stage reaches: it counts each row's outcome, keeps the
// problems, and writes the files a data officer acts on — rejects.csv, rejects.xlsx and
// summary.json — safely (no formulas run in a spreadsheet, credentials private).
package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bulkload/bulk/internal/fileperm"
	"github.com/bulkload/bulk/internal/version"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
)

// Report collects one run's outcomes. It implements pipeline.Reporter.
type Report struct {
	Dir    string
	Strict bool // warnings found after their row was reported (Problem) reject it
	// MaxProblems is how many problems are kept in detail for rejects.csv and the marks in
	// rejects.xlsx (DefaultMaxProblems when 0; negative: no limit). Past it, problems are only
	// counted (problems_by_rule and the rows rejected stay exact): a hostile file of millions
	// of repeated rows would otherwise hold gigabytes of problems.
	MaxProblems int
	// NoBOM leaves the UTF-8 byte order mark out of rejects.csv (--csv-bom=false, for scripts
	// that do not expect one).
	NoBOM bool
	// MonthFirst: the inputs' dates were read month first (--date-order mdy), so rejects.xlsx
	// shows its date cells that way too; otherwise day first (31/08/2028).
	MonthFirst bool

	mu       sync.Mutex
	started  time.Time
	kinds    map[string]bool
	inputs   []string
	sources  []*pipeline.Source
	problems []pipeline.Problem
	unlisted int64           // problems past MaxProblems: counted, not kept
	rejected map[int]*bitset // per table: rows rejected
	skipped  map[int]*bitset // per table: valid rows Options.Keep held back from the sink
	rowsRead int64
	nReject  int64
	nSkip    int64 // skipped rows not rejected since
	nErrors  int64 // errors on no data row
	warnings int64
	byRule   map[string]int64
	extra    map[string]any // summary fields other stages add (loader counts, ...)
	readOpts read.Options   // how the inputs were read: rejects.xlsx reads them again
	stamps   map[string]inputStamp
	// rejectsXLSX is the rejects workbook the last Write wrote ("" for none).
	rejectsXLSX string
}

// New starts a report for a run that writes into dir.
func New(dir string, strict bool) *Report {
	return &Report{Dir: dir, Strict: strict, started: time.Now(), kinds: map[string]bool{},
		rejected: map[int]*bitset{}, skipped: map[int]*bitset{}, byRule: map[string]int64{}, extra: map[string]any{}, stamps: map[string]inputStamp{}}
}

// AddInput records an input path for the summary, and for rejects.xlsx, which reads it again.
func (r *Report) AddInput(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, path)
	if st, ok := stampOf(path); ok {
		r.stamps[path] = st
	}
}

// Table implements pipeline.Reporter.
func (r *Report) Table(src *pipeline.Source, k *pipeline.Kind, problems []pipeline.Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds[k.Name] = true
	for len(r.sources) <= src.Index {
		r.sources = append(r.sources, nil)
	}
	r.sources[src.Index] = src
	for _, p := range problems {
		r.addProblem(p)
	}
}

// Row implements pipeline.Reporter. The row's outcome is the pipeline's, --strict included
// (pipeline.Options.Strict): the report records it and never changes it.
func (r *Report) Row(row *pipeline.Row, out pipeline.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rowsRead++
	for _, p := range row.Problems {
		r.addProblem(p)
	}
	switch out {
	case pipeline.Rejected:
		r.markRejected(row.Rec.Src.Index, row.Rec.Row)
	case pipeline.Skipped:
		if setRow(r.skipped, row.Rec.Src.Index, row.Rec.Row) {
			r.nSkip++
		}
	}
}

// AddRows counts n rows that reach the report without being read: the rows of a plan being
// applied, whose problems then come from Fail. rows_read = rows_valid + rows_rejected holds.
func (r *Report) AddRows(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rowsRead += int64(n)
}

// Problem implements pipeline.Reporter: a problem found after its row was counted.
func (r *Report) Problem(p pipeline.Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addProblem(p)
	if p.Source != nil && p.Row > p.Source.HeaderRow && (p.Severity == pipeline.Error || r.Strict) {
		r.markRejected(p.Source.Index, p.Row)
	}
}

// Fail records a row that was valid but failed at the target (an API error): it counts as
// rejected and its problem goes to the reject files.
func (r *Report) Fail(p pipeline.Problem) { r.Problem(p) }

// DefaultMaxProblems is Report.MaxProblems's default: about 100 MB of problems at most, and
// more than anyone fixes before validating again.
const DefaultMaxProblems = 200_000

func (r *Report) addProblem(p pipeline.Problem) {
	max := r.MaxProblems
	if max == 0 {
		max = DefaultMaxProblems
	}
	if max < 0 || len(r.problems) < max {
		r.problems = append(r.problems, p)
	} else {
		r.unlisted++
	}
	r.byRule[p.Rule]++
	if p.Severity == pipeline.Warning {
		r.warnings++
	}
	if p.Severity == pipeline.Error && (p.Source == nil || p.Row <= p.Source.HeaderRow) {
		r.nErrors++
	}
}

func (r *Report) markRejected(src, row int) {
	if !setRow(r.rejected, src, row) {
		return
	}
	r.nReject++
	// A late problem (Cross.Finish) can reject a row that was skipped: it stops counting as
	// skipped, so skipped stays a part of valid.
	if b := r.skipped[src]; b != nil && b.has(row) {
		r.nSkip--
	}
}

// setRow sets (src, row) in m and reports whether it was not set before.
func setRow(m map[int]*bitset, src, row int) bool {
	b := m[src]
	if b == nil {
		b = &bitset{}
		m[src] = b
	}
	if b.has(row) {
		return false
	}
	b.set(row)
	return true
}

// Rejected reports whether a row of table src has been rejected so far.
func (r *Report) Rejected(src *pipeline.Source, row int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.rejected[src.Index]
	return b != nil && b.has(row)
}

// Set adds a field to summary.json (counts of later stages).
func (r *Report) Set(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.extra[key] = v
}

// Counts are the run's row totals; Read == Valid + Rejected always, and Skipped (valid rows
// pipeline.Options.Keep held back from the sink) is a part of Valid.
type Counts struct {
	Read, Valid, Rejected, Warnings, Skipped int64
	// Errors counts errors that are on no data row (an empty input, a header that cannot be
	// read): the run did not go well even if no row was rejected.
	Errors int64
}

// Clean reports whether nothing was rejected and nothing else went wrong: exit status 0.
func (c Counts) Clean() bool { return c.Rejected == 0 && c.Errors == 0 }

// Counts returns the totals so far.
func (r *Report) Counts() Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Counts{Read: r.rowsRead, Valid: r.rowsRead - r.nReject, Rejected: r.nReject, Warnings: r.warnings, Skipped: r.nSkip, Errors: r.nErrors}
}

// Problems returns the problems sorted by file, sheet, row and column position.
func (r *Report) Problems() []pipeline.Problem {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := append([]pipeline.Problem(nil), r.problems...)
	sortProblems(ps)
	return ps
}

// Sources returns the tables the run read, in order.
func (r *Report) Sources() []*pipeline.Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*pipeline.Source
	for _, s := range r.sources {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// colIndexes gives the position of a problem's column in its table's header, for sorting.
type colIndexes map[*pipeline.Source]map[string]int

func (ci colIndexes) of(p *pipeline.Problem) int {
	if p.Source == nil || p.Column == "" {
		return -1
	}
	cols, ok := ci[p.Source]
	if !ok {
		cols = make(map[string]int, len(p.Source.Header))
		for i, h := range p.Source.Header {
			if _, dup := cols[h]; !dup {
				cols[h] = i
			}
		}
		ci[p.Source] = cols
	}
	if i, ok := cols[p.Column]; ok {
		return i
	}
	return len(p.Source.Header) // a field with no column (missing): after the real ones
}

// sortProblems sorts by file, sheet, row and column position. Each problem's column position is
// found once, through a map per table: searching the header at each comparison made a header of
// 100,000 unknown columns (a problem each) take minutes to sort. An order of indexes is sorted
// and then applied in place, so no second copy of the problems is made.
func sortProblems(ps []pipeline.Problem) {
	ci := colIndexes{}
	col := make([]int32, len(ps))
	idx := make([]int32, len(ps))
	for i := range ps {
		col[i] = int32(ci.of(&ps[i]))
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(i, j int) bool {
		x, y := idx[i], idx[j]
		a, b := &ps[x], &ps[y]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Sheet != b.Sheet {
			return a.Sheet < b.Sheet
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return col[x] < col[y]
	})
	// ps[j] becomes the problem at idx[j], one cycle of the permutation at a time.
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp := ps[i]
		for j := i; ; {
			k := int(idx[j])
			idx[j] = -1
			if k == i {
				ps[j] = tmp
				break
			}
			ps[j] = ps[k]
			j = k
		}
	}
}

// Summary is summary.json.
type Summary struct {
	// SchemaVersion is summary.json's format (docs/summary-json.md): a key is added within a
	// version, never renamed or given another meaning.
	SchemaVersion  int              `json:"schema_version"`
	BulkVersion    string           `json:"bulk_version"` // version.String: "v1.2.3 (1a2b3c4d5e6f)"
	Kinds          []string         `json:"kinds"`
	Inputs         []string         `json:"inputs"`
	RowsRead       int64            `json:"rows_read"`
	RowsValid      int64            `json:"rows_valid"`
	RowsRejected   int64            `json:"rows_rejected"`
	Warnings       int64            `json:"warnings"`
	InputErrors    int64            `json:"input_errors"`
	ProblemsByRule map[string]int64 `json:"problems_by_rule"`
	// ProblemsNotListed counts problems past the report's limit: in problems_by_rule, not in
	// rejects.csv.
	ProblemsNotListed int64 `json:"problems_not_listed,omitempty"`
	// HeaderRows names the tables whose header was found below other rows (a title, notes):
	// the terminal's "header on row 4" notice.
	HeaderRows []HeaderRow `json:"header_rows,omitempty"`
	Started    time.Time   `json:"started"`
	Finished   time.Time   `json:"finished"`
	Duration   string      `json:"duration"`
}

// HeaderRow is a table whose header is not its first row with values: the rows above it
// (RowsAbove of them) are not data.
type HeaderRow struct {
	File      string `json:"file"`
	Sheet     string `json:"sheet,omitempty"`
	Row       int    `json:"row"`
	RowsAbove int    `json:"rows_above"`
}

// Summary returns the summary as it stands.
func (r *Report) Summary() Summary {
	c := r.Counts()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{SchemaVersion: 1, BulkVersion: version.String(), Inputs: append([]string{}, r.inputs...), RowsRead: c.Read, RowsValid: c.Valid, RowsRejected: c.Rejected,
		Warnings: c.Warnings, InputErrors: c.Errors, ProblemsByRule: map[string]int64{}, ProblemsNotListed: r.unlisted, Started: r.started.UTC(), Finished: time.Now().UTC()}
	for k := range r.kinds {
		s.Kinds = append(s.Kinds, k)
	}
	sort.Strings(s.Kinds)
	for _, src := range r.sources {
		if src != nil && src.Above > 0 {
			s.HeaderRows = append(s.HeaderRows, HeaderRow{File: src.File, Sheet: src.Sheet, Row: src.HeaderRow, RowsAbove: src.Above})
		}
	}
	for k, v := range r.byRule {
		s.ProblemsByRule[k] = v
	}
	s.Duration = s.Finished.Sub(s.Started).Round(time.Millisecond).String()
	return s
}

// Write writes rejects.csv, rejects.xlsx (when a row was rejected) and summary.json into the
// report folder, creating it if absent.
func (r *Report) Write() error {
	if _, err := MakeDir(r.Dir); err != nil {
		return fmt.Errorf("cannot create the report folder: %w", err)
	}
	if err := r.writeRejectsCSV(filepath.Join(r.Dir, "rejects.csv")); err != nil {
		return err
	}
	// rejects.xlsx reads the inputs again, which can fail where the rest cannot: the summary is
	// written either way.
	xerr := r.writeRejectsXLSX()
	if err := r.writeSummary(filepath.Join(r.Dir, "summary.json")); err != nil {
		return err
	}
	return xerr
}

func (r *Report) writeSummary(path string) error {
	s := r.Summary()
	r.mu.Lock()
	m := map[string]any{}
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &m)
	for k, v := range r.extra {
		m[k] = v
	}
	r.mu.Unlock()
	return WriteFile(path, FileMode, func(f *os.File) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// RejectsHeader is the header of rejects.csv, exactly.
var RejectsHeader = []string{"file", "sheet", "row", "column", "value", "rule", "severity", "message"}

func (r *Report) writeRejectsCSV(path string) error {
	ps := r.Problems()
	r.mu.Lock()
	unlisted := r.unlisted
	r.mu.Unlock()
	return WriteFile(path, FileMode, func(f *os.File) error {
		if err := WriteBOM(f, !r.NoBOM); err != nil {
			return err
		}
		w := csv.NewWriter(f)
		w.UseCRLF = true
		if err := w.Write(RejectsHeader); err != nil {
			return err
		}
		for _, p := range ps {
			row := ""
			if p.Row > 0 {
				row = fmt.Sprint(p.Row)
			}
			rec := []string{p.File, p.Sheet, row, p.Column, p.Value, p.Rule, p.Severity.String(), p.Message}
			for i := range rec {
				rec[i] = SafeCell(rec[i])
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		if unlisted > 0 {
			msg := fmt.Sprintf("%d more problems were not listed (only the first %d are: --max-problems); they are counted in summary.json. Fix the listed ones first, then validate again to see them", unlisted, len(ps))
			if err := w.Write([]string{"", "", "", "", "", "not-listed", "note", msg}); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
}

// BOM is the UTF-8 byte order mark that opens every CSV report (rejects.csv, results.csv,
// credentials.csv): Excel on Windows reads a CSV file without one in the ANSI code page, so an
// accented or non-Latin name shows as mojibake ("é" as "Ã©"). Scripts that do not expect it
// turn it off with --csv-bom=false; Python reads it with encoding="utf-8-sig".
const BOM = "\ufeff"

// WriteBOM writes BOM to w when on is true.
func WriteBOM(w io.Writer, on bool) error {
	if !on {
		return nil
	}
	_, err := io.WriteString(w, BOM)
	return err
}

// SafeCell makes a cell inert in a spreadsheet program: text that begins with =, +, -, @, tab or
// CR would be run as a formula (CSV injection), so it gets a leading apostrophe.
func SafeCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Report files hold personal data (names, e-mails, ULNs, logins): they are readable by their
// owner only, inside a folder only its owner can enter, whatever the umask.
const (
	FileMode os.FileMode = 0o600
	DirMode  os.FileMode = 0o700
)

// MakeDir creates dir, and any missing parent, with DirMode. A folder it creates is set to
// DirMode exactly (a umask only ever takes bits away, and an odd one could take the owner's);
// a folder that exists keeps its mode: the owner chose it. It reports whether that folder
// lets others in (group or others may read or enter it), for a warning.
func MakeDir(dir string) (open bool, err error) {
	st, err := os.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return false, fmt.Errorf("cannot create the folder %s: a file of that name exists", dir)
		}
		return fileperm.OpenToOthers(st.Mode()), nil
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return false, err
	}
	return false, os.Chmod(dir, DirMode)
}

// CreateFile creates (or empties) path for writing with FileMode, whatever the umask and
// whatever mode an earlier file of that name had.
func CreateFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// WriteFile writes path through a temporary file renamed into place, so a crash never leaves a
// half-written report; perm applies from the start (0600 keeps credentials private).
func WriteFile(path string, perm os.FileMode, fill func(*os.File) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err = fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, errors.Unwrap(err))
	}
	return nil
}

// bitset records rejected row numbers of one table compactly (a bit per row).
type bitset struct{ w []uint64 }

func (b *bitset) set(i int) {
	for len(b.w) <= i/64 {
		b.w = append(b.w, 0)
	}
	b.w[i/64] |= 1 << (uint(i) % 64)
}

func (b *bitset) has(i int) bool {
	return i/64 < len(b.w) && b.w[i/64]&(1<<(uint(i)%64)) != 0
}
