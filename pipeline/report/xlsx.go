package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
)

// rejects.xlsx holds the rejected rows exactly as they were in the input, one sheet per input
// table under the same headers, so a data officer fixes them in place and gives the workbook
// straight back to bulk. Each bad cell is filled (red for errors, amber for warnings) with the
// messages as its comment, and a last column, Problems, lists every message of the row.
//
// The report keeps no rows in memory: when it is written, the inputs are read again with the
// options of the run and the rejected rows picked out by number.

// CommentLimit is the number of marked cells above which rejects.xlsx is written without cell
// comments. Comments need excelize's in-memory mode, and excelize's AddComment costs time in
// proportion to the comments already on the sheet, so the total grows with the square of their
// number (BenchmarkRejectsXLSX: 2,000 rows in under a second, 10,000 in over ten, 50,000 in
// minutes). Above the limit the workbook is streamed instead: the cells are still coloured and
// every message is in the Problems column.
var CommentLimit = 5_000

const (
	fillError   = "FFC7CE" // the light red of spreadsheets' "bad" cell style
	fillWarning = "FFEB9C" // its amber "neutral"
	fontError   = "9C0006"
	fontWarning = "9C5700"
)

// SetReadOptions gives the report the options the inputs were read with, so rejects.xlsx reads
// them again the same way. Without it the report still reads them right: tables are matched by
// file and sheet, and a CSV is read with the delimiter its first reading found.
func (r *Report) SetReadOptions(o read.Options) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.readOpts = o
}

// inputStamp is what an input looked like when it was read; rejects.xlsx is not written from a
// file that has changed since, because its rows might no longer be the ones the report names.
type inputStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) (inputStamp, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return inputStamp{}, false
	}
	return inputStamp{size: st.Size(), mod: st.ModTime()}, true
}

// rowKey names a row of a table.
type rowKey struct{ src, row int }

// rejectsPlan is what writing rejects.xlsx needs from the report, taken under its lock once.
type rejectsPlan struct {
	opts     read.Options
	inputs   []string
	stamps   map[string]inputStamp
	sources  []*pipeline.Source
	rejected map[int]*bitset
	byRow    map[rowKey][]pipeline.Problem
	header   map[int][]pipeline.Problem // errors on a table's header row (a missing column): every row's
	total    int64
	marked   int // cells that get a comment
	// warnings are the warnings rejects.xlsx shows nowhere else: on rows that were not
	// rejected (valid rows, sent as they are) and on no row (a header, a file). They go on a
	// sheet of their own, WarningsSheet.
	warnings []pipeline.Problem
}

func hasColumn(ps []pipeline.Problem, col string) bool {
	for _, p := range ps {
		if p.Column == col {
			return true
		}
	}
	return false
}

func (r *Report) rejectsPlan() *rejectsPlan {
	ps := r.Problems()
	r.mu.Lock()
	defer r.mu.Unlock()
	p := &rejectsPlan{opts: r.readOpts, inputs: append([]string(nil), r.inputs...), stamps: r.stamps,
		sources: append([]*pipeline.Source(nil), r.sources...), rejected: r.rejected,
		byRow: map[rowKey][]pipeline.Problem{}, header: map[int][]pipeline.Problem{}, total: r.nReject}
	for _, pr := range ps {
		if pr.Source == nil {
			if pr.Severity == pipeline.Warning {
				p.warnings = append(p.warnings, pr)
			}
			continue
		}
		idx := pr.Source.Index
		b := r.rejected[idx]
		if pr.Severity == pipeline.Warning && (pr.Row <= pr.Source.HeaderRow || b == nil || !b.has(pr.Row)) {
			p.warnings = append(p.warnings, pr)
			continue
		}
		switch {
		case pr.Row <= pr.Source.HeaderRow:
			if pr.Severity == pipeline.Error {
				p.header[idx] = append(p.header[idx], pr)
			}
		case b != nil && b.has(pr.Row):
			k := rowKey{idx, pr.Row}
			if pr.Column != "" && !hasColumn(p.byRow[k], pr.Column) {
				p.marked++
			}
			p.byRow[k] = append(p.byRow[k], pr)
		}
	}
	return p
}

// RejectsXLSX returns the path of the rejects workbook the last Write wrote, or "" when it wrote
// none (no row was rejected). It is rejects.xlsx in the report folder unless that file is an
// input of the run (a fixed rejects.xlsx validated again): then rejects-2.xlsx, or the next
// number free.
func (r *Report) RejectsXLSX() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rejectsXLSX
}

// isInput reports whether path is one of the run's inputs (the same file, by any name).
func isInput(path string, inputs []string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, in := range inputs {
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return true
		}
	}
	return false
}

// rejectsPath picks where the rejects workbook goes: never over an input.
func rejectsPath(dir string, inputs []string) string {
	path := filepath.Join(dir, "rejects.xlsx")
	for n := 2; isInput(path, inputs); n++ {
		path = filepath.Join(dir, fmt.Sprintf("rejects-%d.xlsx", n))
	}
	return path
}

// writeRejectsXLSX writes the rejects workbook when some row was rejected, and otherwise
// removes a rejects.xlsx left by an earlier run (it would describe rows that are now valid) —
// unless it is an input of this run: bulk never deletes or overwrites what it reads.
func (r *Report) writeRejectsXLSX() error {
	p := r.rejectsPlan()
	r.mu.Lock()
	r.rejectsXLSX = ""
	r.mu.Unlock()
	if p.total == 0 && len(p.warnings) == 0 {
		path := filepath.Join(r.Dir, "rejects.xlsx")
		if isInput(path, p.inputs) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cannot remove the old %s: %w", path, err)
		}
		return nil
	}
	path := rejectsPath(r.Dir, p.inputs)
	for _, in := range p.inputs {
		if was, ok := p.stamps[in]; ok {
			if now, ok := stampOf(in); !ok || now != was {
				os.Remove(path) // an older workbook there would describe other rows
				return fmt.Errorf("%s changed while bulk was reading it, so rejects.xlsx was not written; run bulk again", in)
			}
		}
	}
	wide := false
	for _, src := range p.sources {
		wide = wide || src != nil && len(src.Header) > memColumns
	}
	w := newRejectsWriter(p.marked > CommentLimit || wide)
	w.mdy = r.MonthFirst
	w.dir = filepath.Dir(path)
	defer w.f.Close()
	used := map[*pipeline.Source]bool{}
	for _, in := range p.inputs {
		if err := w.addInput(p, in, used); err != nil {
			return fmt.Errorf("writing rejects.xlsx: reading %s again: %w", in, err)
		}
	}
	if err := w.addWarnings(p.warnings); err != nil {
		return fmt.Errorf("writing rejects.xlsx: %w", err)
	}
	if err := w.finish(); err != nil {
		return fmt.Errorf("writing rejects.xlsx: %w", err)
	}
	err := WriteFile(path, FileMode, func(f *os.File) error {
		if err := w.f.Write(f); err != nil {
			return err
		}
		return w.f.Close()
	})
	if err == nil {
		r.mu.Lock()
		r.rejectsXLSX = path
		r.mu.Unlock()
	}
	return err
}

// rejectsWriter builds the workbook.
type rejectsWriter struct {
	f        *excelize.File
	stream   bool
	sheets   int
	names    map[string]bool // lower-cased sheet names taken
	styles   map[cellStyle]int
	styleErr error
	mdy      bool   // dates month first (Report.MonthFirst)
	dir      string // the folder rejects.xlsx is written to: Origin paths are relative to it
}

type mark uint8

const (
	markNone mark = iota
	markWarning
	markError
)

// cellStyle is one combination of number format and marking a cell needs.
type cellStyle struct {
	numFmt string // "@" text, "" general, or a date or zero-padded format
	mark   mark
	bold   bool
	wrap   bool
}

func newRejectsWriter(stream bool) *rejectsWriter {
	f := excelize.NewFile()
	return &rejectsWriter{f: f, stream: stream, names: map[string]bool{}, styles: map[cellStyle]int{}}
}

func (w *rejectsWriter) style(cs cellStyle) int {
	if id, ok := w.styles[cs]; ok {
		return id
	}
	s := &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: cs.wrap}}
	switch cs.numFmt {
	case "":
	case "@":
		s.NumFmt = 49
	default:
		code := cs.numFmt
		s.CustomNumFmt = &code
	}
	font := &excelize.Font{Bold: cs.bold}
	switch cs.mark {
	case markError:
		s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillError}}
		font.Color = fontError
	case markWarning:
		s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillWarning}}
		font.Color = fontWarning
	}
	s.Font = font
	id, err := w.f.NewStyle(s)
	if err != nil && w.styleErr == nil {
		w.styleErr = err
	}
	w.styles[cs] = id
	return id
}

// sheetName makes a valid, unused sheet name from a table's name: at most 31 characters, none
// of : \ / ? * [ ], no apostrophe at either end, unique ignoring case (Excel's rules).
func (w *rejectsWriter) sheetName(src *pipeline.Source) string {
	name := src.Sheet
	if name == "" {
		name = strings.TrimSuffix(src.File, filepath.Ext(src.File))
	} else if dir := filepath.Dir(src.File); dir != "." {
		// Inputs that share a base name are named by their folders (read.Names): so are their
		// sheets, "autumn-Learners" beside "spring-Learners".
		name = dir + "-" + name
	}
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' {
			return '-' // autumn/learners.csv: autumn-learners
		}
		if strings.ContainsRune(`:?*[]`, r) || r < ' ' {
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, "' ")
	if name == "" || strings.EqualFold(name, "History") {
		name = "Sheet"
	}
	base := truncateRunes(name, 31)
	name = base
	for n := 2; w.names[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		name = truncateRunes(base, 31-len(suffix)) + suffix
	}
	w.names[strings.ToLower(name)] = true
	return name
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// The input's cells go in the columns before the last a sheet has (XFD), which is kept for the
// Problems column, and its rows up to the last row: a workbook can hold cells past what a
// spreadsheet shows (the reader reports those), and rows numbered alike. What does not fit is
// named in the Problems column, so an input never makes rejects.xlsx fail.
//
// In memory, excelize keeps every cell of a row up to its last, so a Problems column at XFD
// would cost 16,384 cells a row: the in-memory workbook keeps its data to memColumns columns
// (values further right are named in Problems), and a table whose header is wider than that is
// written streamed.
const (
	dataColumns = read.MaxColumns - 1
	lastRow     = read.MaxRows
	memColumns  = 1024
)

// sheetOut writes one sheet, in memory (with comments) or streamed.
type sheetOut struct {
	w        *rejectsWriter
	name     string
	sw       *excelize.StreamWriter
	width    int // the header's width; the Problems column follows the widest row
	maxWidth int
	next     int // next output row
	problems []string
	origins  []string // in memory: each row's Origin cell, written with Problems
	path     string   // the input's path for the rows' Origin: relative to rejects.xlsx's folder
	comments []excelize.Comment
	full     bool // the sheet's last row is written: no more rows fit
	buf      []any
}

// blankColumns: empty cells of a rejected row are written (formatted as Text, so an ID typed
// into one keeps its leading zeros) in the first blankColumns columns; further right only
// cells with a value or a mark are, so a row costs what it holds, not the header's width
// (a header reaching column XFD would otherwise make every row 16,384 cells).
const blankColumns = 256

func (w *rejectsWriter) addInput(p *rejectsPlan, path string, used map[*pipeline.Source]bool) error {
	opts := p.opts
	if opts.Delimiter == 0 {
		// Read a CSV again with the delimiter the run found, so it splits the same way.
		for _, src := range p.sources {
			if src != nil && src.Path == path && src.Delimiter != 0 {
				opts.Delimiter = src.Delimiter
				break
			}
		}
	}
	in, err := read.Open(path, opts)
	if err != nil {
		return err
	}
	defer in.Close()
	for {
		t, err := in.NextTable()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		src := matchSource(p.sources, t.Source(), used)
		if src == nil {
			continue // a table the run skipped (no kind) or did not read (--sheet)
		}
		b := p.rejected[src.Index]
		if b == nil || len(b.w) == 0 {
			continue
		}
		if err := w.addTable(p, src, t, b); err != nil {
			return err
		}
	}
}

// matchSource finds the run's source of a table read again: the first not yet matched with the
// same file and sheet (a file given twice was read twice).
func matchSource(sources []*pipeline.Source, s *pipeline.Source, used map[*pipeline.Source]bool) *pipeline.Source {
	for _, src := range sources {
		if src != nil && !used[src] && src.Path == s.Path && src.Sheet == s.Sheet {
			used[src] = true
			return src
		}
	}
	return nil
}

// withMissing returns src with the required columns it lacks (its missing-column errors)
// added after its own, so that rejects.xlsx gives the officer an empty, marked column to fill
// in; src itself when it lacks none.
func withMissing(src *pipeline.Source, header []pipeline.Problem) *pipeline.Source {
	var add []string
	for _, p := range header {
		if p.Rule == pipeline.RuleMissingColumn && p.Column != "" && !slices.Contains(src.Header, p.Column) && !slices.Contains(add, p.Column) {
			add = append(add, p.Column)
		}
	}
	if len(add) == 0 || len(src.Header) >= dataColumns {
		return src
	}
	s := *src
	s.Header = append(slices.Clip(src.Header), add...)
	return &s
}

func (w *rejectsWriter) addTable(p *rejectsPlan, src *pipeline.Source, t pipeline.Table, b *bitset) error {
	src = withMissing(src, p.header[src.Index])
	width := min(len(src.Header), dataColumns)
	so := &sheetOut{w: w, name: w.sheetName(src), width: width, maxWidth: width, next: 2, path: src.Path}
	// The Origin names the input relative to rejects.xlsx's folder (../learners.csv) where it
	// can: the workbook gets mailed on, and an absolute path can carry a user name. Corrections
	// resolve it from where the workbook is read; a moved file is found by name.
	if abs, err := filepath.Abs(src.Path); err == nil {
		so.path = abs
		if dir, err := filepath.Abs(w.dir); err == nil && w.dir != "" {
			if rel, err := filepath.Rel(dir, abs); err == nil {
				so.path = rel
			}
		}
	}
	var err error
	if w.sheets == 0 {
		err = w.f.SetSheetName("Sheet1", so.name)
	} else {
		_, err = w.f.NewSheet(so.name)
	}
	if err != nil {
		return err
	}
	w.sheets++
	if w.stream {
		if so.sw, err = w.f.NewStreamWriter(so.name); err != nil {
			return err
		}
	}
	if err := so.header(src.Header); err != nil {
		return err
	}
	last := b.last()
	var rec pipeline.Record
	for {
		rec.Reset()
		if err := t.Next(&rec); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if !b.has(rec.Row) {
			if rec.Row > last {
				break // no rejected row further on: the rest need not be read
			}
			continue
		}
		rec.Src = src
		ps := append(append([]pipeline.Problem(nil), p.header[src.Index]...), p.byRow[rowKey{src.Index, rec.Row}]...)
		if err := so.row(&rec, ps); err != nil {
			return err
		}
	}
	return so.finish()
}

func (so *sheetOut) header(h []string) error {
	h = h[:min(len(h), dataColumns)]
	st := so.w.style(cellStyle{numFmt: "@", bold: true})
	if so.sw != nil {
		row := make([]any, 0, len(h)+1)
		for _, v := range h {
			row = append(row, excelize.Cell{StyleID: st, Value: v})
		}
		row = append(row, excelize.Cell{StyleID: st, Value: read.ProblemsHeader})
		if len(h)+2 <= read.MaxColumns {
			row = append(row, excelize.Cell{StyleID: st, Value: read.OriginHeader})
			if err := so.sw.SetColVisible(len(h)+2, len(h)+2, false); err != nil {
				return err
			}
		}
		if err := so.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := so.sw.SetColWidth(len(h)+1, len(h)+1, 80); err != nil {
			return err
		}
		return so.sw.SetRow("A1", row)
	}
	for i, v := range h {
		if err := so.set(i, 1, v, pipeline.CellText, st); err != nil {
			return err
		}
	}
	return so.w.f.SetPanes(so.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// marks groups a row's problems by the column they are about.
func marks(src *pipeline.Source, ps []pipeline.Problem) map[int][]pipeline.Problem {
	m := map[int][]pipeline.Problem{}
	for _, p := range ps {
		// A missing required column is a header problem that every row shares: its cell
		// (empty, in the column withMissing added) is marked on every row.
		if p.Column == "" || p.Row <= src.HeaderRow && p.Rule != pipeline.RuleMissingColumn {
			continue
		}
		for i, h := range src.Header {
			if h == p.Column {
				m[i] = append(m[i], p)
				break
			}
		}
	}
	return m
}

func (so *sheetOut) row(rec *pipeline.Record, ps []pipeline.Problem) error {
	if so.full {
		return nil
	}
	n := so.next
	so.next++
	byCol := marks(rec.Src, ps)
	text := problemsText(rec, ps, so.sw != nil && n == 2)
	if n == lastRow {
		// Only with rows numbered alike (a damaged workbook): the last row says what is missing.
		so.full = true
		rec = &pipeline.Record{Src: rec.Src, Row: rec.Row}
		byCol = nil
		text = fmt.Sprintf("More rejected rows than a sheet holds (%d): the rows from row %d of %s on are not in this workbook; every problem is in rejects.csv.",
			lastRow, rec.Row, rec.Src.Where())
	}
	// Streamed, only the header's columns are written; in memory, every cell up to memColumns
	// (values under no header are also reported as unknown-column warnings).
	limit := dataColumns
	if so.sw == nil {
		limit = memColumns
	}
	if cut := lostCells(rec.Cells, limit); cut != "" && (so.sw == nil || len(rec.Src.Header) > dataColumns) {
		text += "\n" + cut
	}
	if so.sw != nil {
		width := so.width
		if cap(so.buf) < width+2 {
			so.buf = make([]any, width+2)
		}
		row := so.buf[:width+1]
		if width+2 <= read.MaxColumns {
			row = so.buf[:width+2]
			row[width+1] = excelize.Cell{StyleID: so.w.style(cellStyle{numFmt: "@"}), Value: so.origin(rec)}
		}
		clear(row[:width+1])
		for i := 0; i < width; i++ {
			v, typ := "", pipeline.CellText
			if i < len(rec.Cells) {
				v = rec.Cells[i]
				if i < len(rec.Types) {
					typ = rec.Types[i]
				}
			}
			if v == "" && i >= blankColumns && len(byCol[i]) == 0 {
				continue
			}
			val, cs := cellValue(v, typ, so.w.mdy)
			cs.mark = markOf(byCol[i])
			if n, ok := val.(number); ok {
				val = n.float()
			}
			row[i] = excelize.Cell{StyleID: so.w.style(cs), Value: val}
		}
		row[width] = excelize.Cell{StyleID: so.w.style(cellStyle{numFmt: "@", wrap: true}), Value: text}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return so.sw.SetRow(cell, row)
	}
	if len(rec.Cells) > so.maxWidth {
		so.maxWidth = min(len(rec.Cells), memColumns)
	}
	for i := 0; i < min(len(rec.Cells), memColumns) || i < so.width; i++ {
		v, typ := "", pipeline.CellText
		if i < len(rec.Cells) {
			v = rec.Cells[i]
			if i < len(rec.Types) {
				typ = rec.Types[i]
			}
		}
		cps := byCol[i]
		if v == "" && i >= blankColumns && len(cps) == 0 {
			continue
		}
		_, cs := cellValue(v, typ, so.w.mdy)
		cs.mark = markOf(cps)
		if err := so.set(i, n, v, typ, so.w.style(cs)); err != nil {
			return err
		}
		if len(cps) > 0 {
			cell, _ := excelize.CoordinatesToCellName(i+1, n)
			so.comments = append(so.comments, excelize.Comment{Cell: cell, Author: "bulk", Text: commentText(cps), Width: 300, Height: 90})
		}
	}
	so.problems = append(so.problems, text)
	so.origins = append(so.origins, so.origin(rec))
	return nil
}

// origin is the Origin cell of rec: the row's own origin when it is a correction given back
// (a rejects.xlsx fixed and rejected again keeps pointing at the first input), else its table
// and row.
func (so *sheetOut) origin(rec *pipeline.Record) string {
	if _, ok := pipeline.ParseOrigin(rec.Origin); ok {
		return rec.Origin
	}
	return pipeline.Origin{Path: so.path, File: rec.Src.File, Sheet: rec.Src.Sheet, Row: rec.Row}.Encode()
}

// lostCells names the values of a row from the 0-based column limit on, which rejects.xlsx
// does not show, or "" when it has none.
func lostCells(cells []string, limit int) string {
	var lost []string
	for i := limit; i < len(cells); i++ {
		if strings.TrimSpace(cells[i]) != "" {
			col, _ := excelize.ColumnNumberToName(i + 1)
			lost = append(lost, fmt.Sprintf("%s %q", col, cells[i]))
		}
	}
	if len(lost) == 0 {
		return ""
	}
	return fmt.Sprintf("This row's values from column %s on are not shown here (%s): a sheet of this workbook holds at most %d columns of data before its Problems column.",
		columnLetters(limit), strings.Join(lost, ", "), limit)
}

func columnLetters(i int) string {
	col, _ := excelize.ColumnNumberToName(i + 1)
	return col
}

func markOf(ps []pipeline.Problem) mark {
	m := markNone
	for _, p := range ps {
		if p.Severity == pipeline.Error {
			return markError
		}
		m = markWarning
	}
	return m
}

// cellValue turns a cell as read into the value and number format it is written with: dates as
// date cells, numbers as numbers (an ID shown with leading zeros keeps a format of zeros),
// booleans as booleans, and everything else as text in a text-formatted cell, so an ID typed
// over it is not turned into a number by the spreadsheet.
func cellValue(v string, typ pipeline.CellType, mdy bool) (any, cellStyle) {
	switch typ {
	case pipeline.CellDate:
		// Shown in the day order the run read dates with (--date-order), as the officer
		// types them: 31/08/2028, not 2028-08-31.
		day := "dd/mm/yyyy"
		if mdy {
			day = "mm/dd/yyyy"
		}
		if t, err := time.Parse("2006-01-02 15:04:05", v); err == nil {
			return t, cellStyle{numFmt: day + " hh:mm:ss"}
		}
		if t, err := time.Parse("2006-01-02", v); err == nil {
			return t, cellStyle{numFmt: day}
		}
	case pipeline.CellNumber:
		if isNumber(v) {
			// A format of zeros keeps an ID's leading zeros; a spreadsheet's formats are at
			// most 255 characters, so a longer number is written as text.
			if len(v) > 255 {
				break
			}
			if len(v) > 1 && v[0] == '0' && v[1] != '.' {
				return number(v), cellStyle{numFmt: strings.Repeat("0", len(v))}
			}
			return number(v), cellStyle{}
		}
	case pipeline.CellBool:
		switch v {
		case "TRUE":
			return true, cellStyle{}
		case "FALSE":
			return false, cellStyle{}
		}
	}
	return v, cellStyle{numFmt: "@"}
}

// number is a number's exact text, written as a number cell without going through float64.
type number string

// plain is the number without the leading zeros its format shows.
func (n number) plain() string {
	s := string(n)
	if t := strings.TrimLeft(s, "0"); t != s && t != "" && t[0] != '.' {
		return t
	}
	return s
}

// float is the number for the stream writer, which takes numbers as float64; the reader gives
// at most 15 significant digits, which float64 holds exactly.
func (n number) float() float64 {
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

func isNumber(v string) bool {
	if v == "" {
		return false
	}
	digits, dot := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' && i == 0:
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// set writes one cell in memory mode.
func (so *sheetOut) set(col, row int, v string, typ pipeline.CellType, style int) error {
	cell, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		return err
	}
	val, _ := cellValue(v, typ, so.w.mdy)
	switch x := val.(type) {
	case number:
		err = so.w.f.SetCellDefault(so.name, cell, x.plain())
	case string:
		if x != "" {
			err = so.w.f.SetCellStr(so.name, cell, x)
		}
	default:
		err = so.w.f.SetCellValue(so.name, cell, x)
	}
	if err != nil {
		return err
	}
	return so.w.f.SetCellStyle(so.name, cell, cell, style)
}

func (so *sheetOut) finish() error {
	if so.sw != nil {
		return so.sw.Flush()
	}
	col := so.maxWidth + 1
	hdr, _ := excelize.CoordinatesToCellName(col, 1)
	if err := so.w.f.SetCellStr(so.name, hdr, read.ProblemsHeader); err != nil {
		return err
	}
	if err := so.w.f.SetCellStyle(so.name, hdr, hdr, so.w.style(cellStyle{numFmt: "@", bold: true})); err != nil {
		return err
	}
	wrap := so.w.style(cellStyle{numFmt: "@", wrap: true})
	for i, text := range so.problems {
		cell, _ := excelize.CoordinatesToCellName(col, i+2)
		if err := so.w.f.SetCellStr(so.name, cell, text); err != nil {
			return err
		}
		if err := so.w.f.SetCellStyle(so.name, cell, cell, wrap); err != nil {
			return err
		}
	}
	name, _ := excelize.ColumnNumberToName(col)
	if err := so.w.f.SetColWidth(so.name, name, name, 80); err != nil {
		return err
	}
	ocell, _ := excelize.CoordinatesToCellName(col+1, 1)
	if err := so.w.f.SetCellStr(so.name, ocell, read.OriginHeader); err != nil {
		return err
	}
	for i, o := range so.origins {
		cell, _ := excelize.CoordinatesToCellName(col+1, i+2)
		if err := so.w.f.SetCellStr(so.name, cell, o); err != nil {
			return err
		}
	}
	oname, _ := excelize.ColumnNumberToName(col + 1)
	if err := so.w.f.SetColVisible(so.name, oname, false); err != nil {
		return err
	}
	for _, c := range so.comments {
		if err := so.w.f.AddComment(so.name, c); err != nil {
			return err
		}
	}
	return nil
}

func (w *rejectsWriter) finish() error {
	if w.styleErr != nil {
		return w.styleErr
	}
	return w.f.SetDocProps(&excelize.DocProperties{
		Creator:     "bulk",
		Title:       "Rejected rows",
		Keywords:    read.RejectsKeyword,
		Description: "Rows bulk rejected, as they were in the input. Fix the marked cells and give this workbook back to bulk validate; the Problems column is ignored when it is read.",
		Created:     time.Now().UTC().Format(time.RFC3339),
	})
}

// WarningsSheet is the sheet of rejects.xlsx that lists the warnings on rows that were not
// rejected: those rows go on as they are (a mobile number that lost its leading 0 is sent
// without it), and a data officer who reads only the workbook must see that too. Its header is
// WarningsHeader; bulk does not read it back as data.
const WarningsSheet = "Warnings"

// WarningsHeader is the header row of WarningsSheet.
var WarningsHeader = []string{"File", "Sheet", "Row", "Column", "Value", "Warning", "Rule"}

// IsWarningsSheet reports whether a table read back is rejects.xlsx's own Warnings sheet.
func IsWarningsSheet(src *pipeline.Source) bool {
	if src == nil || src.Sheet != WarningsSheet || len(src.Header) < len(WarningsHeader) {
		return false
	}
	for i, h := range WarningsHeader {
		if src.Header[i] != h {
			return false
		}
	}
	return true
}

// addWarnings writes WarningsSheet, one row per warning, in the order of rejects.csv. A list
// longer than a sheet's rows ends with a row saying so (rejects.csv has them all).
func (w *rejectsWriter) addWarnings(ws []pipeline.Problem) error {
	if len(ws) == 0 {
		return nil
	}
	name := WarningsSheet
	for n := 2; w.names[strings.ToLower(name)]; n++ {
		name = fmt.Sprintf("%s (%d)", WarningsSheet, n)
	}
	w.names[strings.ToLower(name)] = true
	var err error
	if w.sheets == 0 {
		err = w.f.SetSheetName("Sheet1", name)
	} else {
		_, err = w.f.NewSheet(name)
	}
	if err != nil {
		return err
	}
	w.sheets++
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	bold := w.style(cellStyle{numFmt: "@", bold: true})
	text := w.style(cellStyle{numFmt: "@"})
	amber := w.style(cellStyle{numFmt: "@", mark: markWarning, wrap: true})
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, wd := range []float64{18, 14, 6, 18, 24, 80, 18} {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	hdr := make([]any, len(WarningsHeader))
	for i, h := range WarningsHeader {
		hdr[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	for i, p := range ws {
		n := i + 2
		rec := []string{p.File, p.Sheet, "", p.Column, p.Value, p.Message, p.Rule}
		if p.Row > 0 {
			rec[2] = strconv.Itoa(p.Row)
		}
		if n == lastRow && i < len(ws)-1 {
			rec = []string{"", "", "", "", "", fmt.Sprintf("%d more warnings than a sheet holds: every one is in rejects.csv.", len(ws)-i), ""}
		}
		row := make([]any, len(rec))
		for j, v := range rec {
			st := text
			if j == 5 {
				st = amber
			}
			row[j] = excelize.Cell{StyleID: st, Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
		if n == lastRow {
			break
		}
	}
	return sw.Flush()
}

// problemsText lists a row's problems for its Problems cell: where the row came from, then one
// line per problem, warnings marked.
func problemsText(rec *pipeline.Record, ps []pipeline.Problem, noteStream bool) string {
	var b strings.Builder
	if noteStream {
		fmt.Fprintf(&b, "(Over %d cells to mark: they are coloured but carry no comments; every message is in this column.)\n", CommentLimit)
	}
	if c := rec.Corrected(); c != "" {
		// A correction given back and rejected again: named as the first report named it.
		fmt.Fprintf(&b, "R%s (row %d of %s).", strings.TrimPrefix(c, "r"), rec.Row, rec.Src.Where())
	} else {
		fmt.Fprintf(&b, "Row %d of %s.", rec.Row, rec.Src.Where())
	}
	for _, p := range ps {
		b.WriteString("\n")
		if p.Severity == pipeline.Warning {
			b.WriteString("Warning: ")
		}
		if p.Column != "" {
			b.WriteString(p.Column)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
		fmt.Fprintf(&b, " [%s]", p.Rule)
	}
	if len(ps) == 0 {
		b.WriteString("\nRejected; see rejects.csv for the reason.")
	}
	return b.String()
}

func commentText(ps []pipeline.Problem) string {
	var lines []string
	for _, p := range ps {
		s := p.Message + " [" + p.Rule + "]"
		if p.Severity == pipeline.Warning {
			s = "Warning: " + s
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

// last returns the highest row number set, or -1.
func (b *bitset) last() int {
	for i := len(b.w) - 1; i >= 0; i-- {
		if w := b.w[i]; w != 0 {
			for j := 63; j >= 0; j-- {
				if w&(1<<uint(j)) != 0 {
					return i*64 + j
				}
			}
		}
	}
	return -1
}
