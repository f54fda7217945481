package read

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline"
)

// XLSX reading.
//
// excelize's streaming iterator (Rows/Columns) returns each cell as a string and drops the
// cell's type and style, and those are what tell a date from a number from text: a date is a
// number whose style has a date format. Asking excelize for a cell's style means loading the
// whole sheet. So the reader streams the worksheet XML itself (archive/zip + encoding/xml, one
// row at a time) and reads the few other parts it needs: the workbook (sheets, date system),
// the styles (number formats, classified once per style) and the shared strings. The tests
// check it cell for cell against excelize on the same files, and the benchmark against
// excelize's own iterator.

// RejectsKeyword marks a workbook bulk wrote as rejects.xlsx (in its core properties'
// keywords). Reading such a workbook drops its trailing Problems column, so a fixed rejects.xlsx
// validates without an unknown-column warning.
const RejectsKeyword = "bulk-rejects"

// ProblemsHeader is the header of the Problems column of rejects.xlsx.
const ProblemsHeader = "Problems"

// OriginHeader is the header of rejects.xlsx's hidden last column, after Problems: where each
// row came from (pipeline.Origin), so the rows given back are known as those rows corrected.
const OriginHeader = "Origin (bulk)"

type xlsxInput struct {
	k       *pkg
	o       Options
	hidden  []string // sheets passed over because Excel hides them
	path    string
	wb      *workbook
	sheets  []sheetRef
	next    int
	styles  []cellFmt
	sst     *sharedStrings
	rejects bool // written by bulk: drop the Problems column
	loaded  bool
	openErr error
	cur     *xlsxTable // the table being read, closed when the next starts or the input closes
}

type xlsxTable struct {
	in          *xlsxInput
	ahead       []*pipeline.Record // rows read while looking for the header, below it: data, read first
	aheadHidden []bool
	ended       bool // the sheet's last row has been read (while looking for the header)             // which of ahead are hidden
	src         *pipeline.Source
	d           *xml.Decoder
	c           io.Closer
	row         int // the last row number seen
	width       int // columns bulk reads: the header's
	drop        int // rejects.xlsx: index of the Problems column, whose cells are not data; else -1
	origin      int // rejects.xlsx: index of the Origin column; else -1
	done        bool
	hdrOK       []bool // column has a header (a value under a blank header is reported)
	cell        cellState

	hdrProblems []pipeline.Problem // the reader's problems with the header row
	hidden      bool               // the row just read is hidden in Excel (by hand or by a filter)

	// padLeft is how many empty cells the table's rows may still be padded with to reach a
	// value further right (see padBudget).
	padLeft int
}

// A record holds its cells by column, so a value at column XFD costs 16,383 empty cells before
// it (270 KB) for 25 bytes of XML, and the pipeline holds thousands of records at once. So a
// table may pad its rows by padBudget empty cells (a header reaching XFD, and more), plus
// padEarn for each value it holds: a sheet's padding stays within 64 slots per value read,
// which sparse genuine rows (a value in A and one in Z) are far within.
const (
	padBudget = 1 << 20
	padEarn   = 64
)

// HeaderProblems returns what was wrong with the header row as read (a cell too long, or past
// the last column): the runner reports them with the table.
func (t *xlsxTable) HeaderProblems() []pipeline.Problem { return t.hdrProblems }

// OpenXLSX opens a workbook; each sheet (or only o.Sheet) is a table.
func OpenXLSX(path string, o Options) (pipeline.Input, error) {
	base := filepath.Base(path)
	k, err := openPkg(path, limitsOf(o))
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read as an .xlsx workbook: %v. %s", base, err, notZipHint(path))
	}
	wb, err := k.workbook()
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("%s cannot be read as an .xlsx workbook: %v", base, err)
	}
	var sheets []sheetRef
	var hidden []string
	for _, s := range wb.sheets {
		if s.state != "" && !o.IncludeHidden && o.Sheet == "" {
			hidden = append(hidden, s.name)
			continue
		}
		sheets = append(sheets, s)
	}
	if o.Sheet != "" {
		// A sheet asked for by name is read, hidden or not: the user has seen it.
		s, err := pickSheet(base, wb.sheets, o.Sheet)
		if err != nil {
			k.Close()
			return nil, err
		}
		sheets = []sheetRef{s}
	}
	return &xlsxInput{k: k, o: o, path: path, wb: wb, sheets: sheets, hidden: hidden}, nil
}

// SheetError is a --sheet that names no sheet of the workbook, or names two that differ only by
// case. It carries the workbook's sheets so the command can suggest the nearest one.
type SheetError struct {
	File   string   // the workbook's base name
	Sheet  string   // the name asked for
	Sheets []string // the workbook's sheets, in order
	Alike  []string // sheets that match Sheet but for case, when more than one does
}

func (e *SheetError) Error() string {
	if len(e.Alike) > 1 {
		return fmt.Sprintf("%s has sheets %q, which differ from %q only by case; give the name exactly as one is written", e.File, e.Alike, e.Sheet)
	}
	return fmt.Sprintf("%s has no sheet %q; its sheets are %q", e.File, e.Sheet, e.Sheets)
}

// pickSheet finds the sheet named name. Data officers type sheet names as they say them
// ("learners" for the tab "Learners"), so case is ignored; a sheet written exactly as asked wins
// over one that differs only by case (a workbook another program wrote may hold both).
func pickSheet(file string, sheets []sheetRef, name string) (sheetRef, error) {
	var names, alike []string
	var folded sheetRef
	for _, s := range sheets {
		if s.name == name {
			return s, nil
		}
		names = append(names, s.name)
		if strings.EqualFold(s.name, name) {
			folded = s
			alike = append(alike, s.name)
		}
	}
	if len(alike) == 1 {
		return folded, nil
	}
	return sheetRef{}, &SheetError{File: file, Sheet: name, Sheets: names, Alike: alike}
}

// notZipHint explains the usual reasons a file named .xlsx is not a zip package.
func notZipHint(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	switch {
	case n >= 4 && string(head[:4]) == "\xd0\xcf\x11\xe0":
		return "It is password-protected or an old .xls workbook renamed: open it in your spreadsheet program, remove the password and save it as .xlsx."
	case n == 0:
		return "The file is empty."
	}
	return "Open it in your spreadsheet program and save it again as Excel Workbook (.xlsx)."
}

// load reads the styles and shared strings the first time a sheet is read.
func (in *xlsxInput) load() error {
	if in.loaded {
		return in.openErr
	}
	in.loaded = true
	if in.styles, in.openErr = in.k.styles(in.wb.styles); in.openErr != nil {
		return in.openErr
	}
	if in.sst, in.openErr = in.k.sharedStrings(in.wb.sst); in.openErr != nil {
		return in.openErr
	}
	in.rejects = in.isRejects()
	return nil
}

func (in *xlsxInput) NextTable() (pipeline.Table, error) {
	if err := in.load(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(in.path), err)
	}
	if in.cur != nil {
		in.cur.close()
		in.cur = nil
	}
	for in.next < len(in.sheets) {
		sh := in.sheets[in.next]
		in.next++
		d, c, err := in.k.open(sh.part, in.k.lim.sheet)
		if err != nil {
			return nil, fmt.Errorf("reading sheet %s of %s: %w", sh.name, filepath.Base(in.path), err)
		}
		if d == nil {
			return nil, fmt.Errorf("reading sheet %s of %s: the workbook names part %s, which is not in the file", sh.name, filepath.Base(in.path), sh.part)
		}
		t := &xlsxTable{in: in, d: d, c: c, padLeft: padBudget, src: &pipeline.Source{Path: in.path, File: in.o.name(in.path),
			Sheet: sh.name, Date1904: in.wb.date1904}}
		hdr, err := t.findHeader()
		if err != nil {
			c.Close()
			var he *HeaderRowError
			if errors.As(err, &he) {
				return nil, err
			}
			return nil, fmt.Errorf("reading sheet %s of %s: %w", sh.name, filepath.Base(in.path), err)
		}
		if hdr == nil {
			c.Close()
			continue // an empty sheet holds nothing to load
		}
		t.src.Header = hdr.Cells
		t.src.HeaderRow = hdr.Row
		t.hdrProblems = hdr.Problems
		t.drop, t.origin = -1, -1
		if n := len(hdr.Cells); in.rejects && n > 1 && hdr.Cells[n-1] == OriginHeader && hdr.Cells[n-2] == ProblemsHeader {
			t.src.Header = hdr.Cells[:n-2]
			t.drop, t.origin = n-2, n-1
		} else if in.rejects && n > 0 && hdr.Cells[n-1] == ProblemsHeader {
			t.src.Header = hdr.Cells[:n-1]
			t.drop = len(t.src.Header)
		}
		t.width = len(t.src.Header)
		t.hdrOK = make([]bool, t.width)
		for i, h := range t.src.Header {
			t.hdrOK[i] = strings.TrimSpace(h) != ""
		}
		in.cur = t
		return t, nil
	}
	return nil, io.EOF
}

// findHeader reads the sheet's header row (the first with a value, unless the options choose
// another: see Options.HeaderScore and Options.HeaderRow), keeping in t.ahead the rows read
// past it. It returns nil for a sheet with no value.
func (t *xlsxTable) findHeader() (*pipeline.Record, error) {
	o := t.in.o
	var rows []*pipeline.Record
	var hidden []bool
	for len(rows) < HeaderSearch || o.HeaderRow > 0 {
		rec := new(pipeline.Record)
		if err := t.readRow(rec); err == io.EOF {
			t.ended = true
			break
		} else if err != nil {
			return nil, err
		}
		if rec.Empty() && len(rec.Problems) == 0 {
			continue
		}
		if o.HeaderRow > 0 {
			switch {
			case rec.Row < o.HeaderRow:
				t.src.Above++
				continue
			case rec.Row > o.HeaderRow:
				return nil, &HeaderRowError{Where: t.src.Where(), Row: o.HeaderRow}
			}
			return rec, nil
		}
		rows = append(rows, rec)
		hidden = append(hidden, t.hidden)
		if !o.searching() {
			break
		}
	}
	if o.HeaderRow > 0 && t.src.Above > 0 {
		return nil, &HeaderRowError{Where: t.src.Where(), Row: o.HeaderRow, Past: true}
	}
	if len(rows) == 0 || rows[0].Empty() {
		return nil, nil
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.Cells
	}
	at := o.pickHeader(cells)
	t.src.Above = at
	t.ahead, t.aheadHidden = rows[at+1:], hidden[at+1:]
	return rows[at], nil
}

// HiddenSheets names the sheets the workbook hides (hidden or very hidden) that were passed
// over: nobody loads what they cannot see without being told.
func (in *xlsxInput) HiddenSheets() []string { return in.hidden }

// TemplateKeyword marks a workbook bulk wrote as a template (in its core properties'
// keywords): its hidden sheet holds the drop-down lists, bulk's own, not the officer's.
const TemplateKeyword = "bulk-template"

// Template reports whether bulk wrote the workbook as a template (TemplateKeyword).
func (in *xlsxInput) Template() bool {
	for _, kw := range strings.Fields(in.k.keywords(in.wb.coreProps)) {
		if kw == TemplateKeyword {
			return true
		}
	}
	return false
}

func (in *xlsxInput) Close() error {
	if in.cur != nil {
		in.cur.close()
	}
	err := in.sst.Close()
	if kerr := in.k.Close(); err == nil {
		err = kerr
	}
	return err
}

// close releases the sheet's part reader; a table may be left before its end (rejects.xlsx
// stops after the last rejected row).
func (t *xlsxTable) close() {
	if t.c != nil {
		t.c.Close()
		t.c = nil
	}
}

func (t *xlsxTable) Source() *pipeline.Source { return t.src }

// Next reads the next row that has a value. A value in a column without a header is kept (it
// is given back in rejects.xlsx) and reported as a warning, since no rule reads it.
func (t *xlsxTable) Next(rec *pipeline.Record) error {
	for !t.done {
		if len(t.ahead) > 0 {
			a := t.ahead[0]
			t.hidden = t.aheadHidden[0]
			t.ahead, t.aheadHidden = t.ahead[1:], t.aheadHidden[1:]
			rec.Row = a.Row
			rec.Cells = append(rec.Cells, a.Cells...)
			rec.Types = append(rec.Types, a.Types...)
			rec.Problems = append(rec.Problems, a.Problems...)
		} else if t.ended {
			break
		} else if err := t.readRow(rec); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		if t.origin >= 0 && len(rec.Cells) > t.origin {
			rec.Origin = strings.Clone(rec.Cells[t.origin])
		}
		if t.drop >= 0 && len(rec.Cells) > t.drop {
			rec.Cells, rec.Types = rec.Cells[:t.drop], rec.Types[:t.drop]
		}
		if rec.Empty() && len(rec.Problems) == 0 {
			rec.Cells, rec.Types, rec.Origin = rec.Cells[:0], rec.Types[:0], ""
			continue
		}
		if t.hidden {
			rec.Problems = append(rec.Problems, pipeline.Problem{Source: t.src, File: t.src.File, Sheet: t.src.Sheet,
				Row: rec.Row, Rule: RuleHiddenRow, Severity: pipeline.Warning,
				Message: fmt.Sprintf("Row %d is hidden in Excel (hidden by hand, or filtered out by a filter), yet it is read like any other: check that it should be loaded, or delete it.", rec.Row)})
		}
		for i, v := range rec.Cells {
			if (i >= t.width || !t.hdrOK[i]) && strings.TrimSpace(v) != "" {
				rec.Problems = append(rec.Problems, pipeline.Problem{Source: t.src, File: t.src.File, Sheet: t.src.Sheet,
					Row: rec.Row, Value: v, Rule: pipeline.RuleUnknownColumn, Severity: pipeline.Warning,
					Message: fmt.Sprintf("Cell %s%d holds %q but its column has no header, so it is ignored; give the column a header or clear the cell.", columnName(i), rec.Row, v)})
			}
		}
		return nil
	}
	t.done = true
	t.close()
	return io.EOF
}

// cellState is the cell being parsed.
type cellState struct {
	col       int // 1-based; past MaxColumns when its reference is
	style     int
	typ       string
	v         []byte
	is        []byte
	long      bool   // more text than maxCellBytes: the rest was not kept
	ref       string // the cell's reference, kept only when it names no column a sheet has
	formula   bool
	open      bool // inside a <c> of the current row
	inV, inIS bool
	inT       bool
	rPh       int
}

// appendCell appends text to a cell's value, keeping at most maxCellBytes of it: a longer cell
// is reported, and memory stays bounded while the rest of it is read past.
func appendCell(dst, text []byte, long *bool) []byte {
	if room := maxCellBytes - len(dst); len(text) > room {
		*long = true
		text = text[:max(room, 0)]
	}
	return append(dst, text...)
}

// readRow reads the next <row> of sheetData into rec: its number and its cells, placed by
// their column (a row or cell without a reference follows the previous one, as the format
// allows). It returns io.EOF after the last row, and an error when the sheet's XML ends before
// </sheetData> and </worksheet> (a part cut short).
func (t *xlsxTable) readRow(rec *pipeline.Record) error {
	d := t.d
	inRow := false
	col := 0 // the last cell's column, 1-based
	c := &t.cell
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if inRow {
				return errors.New("the sheet ends inside a row: the workbook is damaged (cut short); open it in your spreadsheet program and save it again")
			}
			return errors.New("the sheet's XML ends before its end tag (</sheetData>): the workbook is damaged (cut short), and rows may be missing; open it in your spreadsheet program and save it again")
		}
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) {
				return err
			}
			return fmt.Errorf("the sheet's XML is damaged: %w", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "row":
				inRow = true
				t.row++
				t.hidden = xmlBool(attr(e, "hidden"))
				if r := attr(e, "r"); r != "" {
					n, err := strconv.Atoi(r)
					switch {
					case allDigits(r) && (err != nil || n > MaxRows):
						// A number past the last row a sheet has: the row is read as the one
						// after the previous (never sized by its number) and rejected.
						t.problemRule(rec, RuleOutOfRange, pipeline.Error, "", r, fmt.Sprintf(
							"The file numbers this row %s, past the last row a spreadsheet has (%s); bulk reads it as row %d, the row after the one before it. The workbook is damaged or was not made by a spreadsheet program: open it in your spreadsheet program, check this row and save it again.",
							r, thousands(MaxRows), t.row))
					case err != nil || n < 1:
						return fmt.Errorf("a row has the number %q", r)
					default:
						t.row = n
					}
				}
				if t.row > MaxRows {
					return fmt.Errorf("the sheet has more rows than a spreadsheet holds (%s): the workbook is damaged or was not made by a spreadsheet program", thousands(MaxRows))
				}
				rec.Row = t.row
			case "c":
				if !inRow {
					continue
				}
				*c = cellState{col: col + 1, open: true, v: c.v[:0], is: c.is[:0]}
				for _, a := range e.Attr {
					switch a.Name.Local {
					case "r":
						if n := columnNumber(a.Value); n > 0 {
							c.col = n
						} else if n < 0 {
							c.col, c.ref = MaxColumns+1, a.Value
						}
					case "s":
						c.style, _ = strconv.Atoi(a.Value)
					case "t":
						c.typ = a.Value
					}
				}
				col = min(c.col, MaxColumns+1)
			case "v":
				c.inV = true
			case "f":
				c.formula = true
			case "is":
				c.inIS = true
			case "t":
				c.inT = c.inIS && c.rPh == 0
			case "rPh":
				c.rPh++
			}
		case xml.CharData:
			switch {
			case c.inV:
				c.v = appendCell(c.v, e, &c.long)
			case c.inT:
				c.is = appendCell(c.is, e, &c.long)
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "v":
				c.inV = false
			case "t":
				c.inT = false
			case "rPh":
				c.rPh--
			case "is":
				c.inIS = false
			case "c":
				if inRow && c.open {
					if err := t.place(rec, c); err != nil {
						return err
					}
				}
				c.open = false
			case "row":
				return nil
			case "sheetData":
				return t.end()
			}
		}
	}
}

// end reads the rest of the sheet after </sheetData> (merged cells, page setup: a little),
// so that a part cut short, or one whose bytes do not match the zip's checksum (checked at its
// end), is found even when its rows were whole.
func (t *xlsxTable) end() error {
	depth := 0
	for {
		tok, err := t.d.RawToken()
		if err == io.EOF {
			if depth >= 0 {
				return errors.New("the sheet's XML ends before its end tag (</worksheet>): the workbook is damaged (cut short); open it in your spreadsheet program and save it again")
			}
			return io.EOF
		}
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) {
				return err
			}
			return fmt.Errorf("the sheet's XML is damaged: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth-- // -1: the root's end tag
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// problemRule reports a problem the reader found on the row being read.
func (t *xlsxTable) problemRule(rec *pipeline.Record, rule string, sev pipeline.Severity, column, value, msg string) {
	rec.Problems = append(rec.Problems, pipeline.Problem{Source: t.src, File: t.src.File, Sheet: t.src.Sheet,
		Row: t.row, Column: column, Value: value, Rule: rule, Severity: sev, Message: msg})
}

// header is the header of the 0-based column i, or "" before the header is read or past it.
func (t *xlsxTable) header(i int) string {
	if i >= 0 && i < len(t.src.Header) {
		return t.src.Header[i]
	}
	return ""
}

// thousands writes n with commas: 1,048,576.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// place turns the parsed cell into text and a type and puts it at its column. A cell past the
// last column, or longer than a cell can be, is a problem on the row and is not kept.
func (t *xlsxTable) place(rec *pipeline.Record, c *cellState) error {
	val, typ, err := t.value(c)
	if err != nil || val == "" && typ != pipeline.CellFormula && !c.long {
		return err
	}
	if c.col > MaxColumns {
		where := "A cell after column XFD"
		if c.ref != "" {
			where = fmt.Sprintf("The cell %q", c.ref)
		}
		t.problemRule(rec, RuleOutOfRange, pipeline.Error, "", preview(val), fmt.Sprintf(
			"%s is past the last column a spreadsheet has (XFD, column %s), so its value is not read. The workbook is damaged or was not made by a spreadsheet program: open it in your spreadsheet program and save it again.",
			where, thousands(MaxColumns)))
		return nil
	}
	if c.long || len(val) > MaxCellChars && utf8.RuneCountInString(val) > MaxCellChars {
		size := "more characters" // only the start of it was kept
		if !c.long {
			size = thousands(utf8.RuneCountInString(val)) + " characters, more"
		}
		t.problemRule(rec, pipeline.RuleMaxLength, pipeline.Error, t.header(c.col-1), preview(val), fmt.Sprintf(
			"Cell %s%d holds %s than a spreadsheet cell can (%s), so it is not read; shorten it.",
			columnName(c.col-1), t.row, size, thousands(MaxCellChars)))
		return nil
	}
	i := c.col - 1
	if pad := i - len(rec.Cells); pad > 0 {
		// Each empty cell up to the value's column costs a slot in the record; a sheet whose
		// rows reach far more columns than they fill is refused that padding past a budget.
		if pad > t.padLeft {
			t.problemRule(rec, pipeline.RuleMalformed, pipeline.Error, t.header(i), preview(val), fmt.Sprintf(
				"Cell %s%d is not read: this sheet's rows reach far more columns than they fill (%s empty cells before this one), as only a damaged workbook or one made to exhaust memory does. Open it in your spreadsheet program and save it again.",
				columnName(i), t.row, thousands(pad)))
			return nil
		}
		t.padLeft -= pad
	}
	t.padLeft += padEarn
	for len(rec.Cells) < i {
		rec.Cells = append(rec.Cells, "")
		rec.Types = append(rec.Types, pipeline.CellText)
	}
	if len(rec.Cells) > i { // two cells with one reference: the later wins, as in a spreadsheet
		rec.Cells[i], rec.Types[i] = val, typ
		return nil
	}
	rec.Cells = append(rec.Cells, val)
	rec.Types = append(rec.Types, typ)
	return nil
}

// value returns the cell's text and type; an error only when the shared strings cannot be
// read back from their temporary file.
func (t *xlsxTable) value(c *cellState) (string, pipeline.CellType, error) {
	if c.formula && len(c.v) == 0 && c.typ != "inlineStr" {
		return "", pipeline.CellFormula, nil // a formula never calculated: no value to read
	}
	if c.typ == "s" {
		n, err := sstIndex(c.v)
		if err != nil || n < 0 || n >= t.in.sst.Len() {
			return string(c.v), pipeline.CellText, nil
		}
		s, err := t.in.sst.get(n)
		c.long = c.long || t.in.sst.long[n]
		return s, pipeline.CellText, err
	}
	s, typ := t.cellValue(c)
	return s, typ, nil
}

func (t *xlsxTable) cellValue(c *cellState) (string, pipeline.CellType) {
	switch c.typ {
	case "inlineStr":
		return unescapeST(string(c.is)), pipeline.CellText
	case "str", "e":
		// A formula's text result, or an error value such as #N/A: text, as the sheet shows it.
		return unescapeST(string(c.v)), pipeline.CellText
	case "b":
		switch strings.TrimSpace(string(c.v)) {
		case "1", "true":
			return "TRUE", pipeline.CellBool
		case "0", "false":
			return "FALSE", pipeline.CellBool
		}
		return string(c.v), pipeline.CellText
	case "d":
		if s, ok := isoDateText(strings.TrimSpace(string(c.v)), t.format(c.style).class); ok {
			return s, pipeline.CellDate
		}
		return string(c.v), pipeline.CellText
	}
	if len(c.v) == 0 {
		return "", pipeline.CellText
	}
	raw := string(c.v)
	cf := t.format(c.style)
	if cf.class != fmtNumber {
		if f, err := strconv.ParseFloat(raw, 64); err == nil {
			if s, ok := serialText(f, cf.class, t.src.Date1904); ok {
				if cf.class == fmtTime {
					return s, pipeline.CellText // a time of day or a duration is no date
				}
				return s, pipeline.CellDate
			}
		}
	}
	if cf.mask != "" {
		return maskNumber(numberText(raw), cf.mask), pipeline.CellNumber
	}
	if cf.percent {
		if s, ok := percentText(raw); ok {
			return s, pipeline.CellNumber // read as shown: 92 for 0.92 shown as 92%
		}
	}
	return numberText(raw), pipeline.CellNumber
}

func (t *xlsxTable) format(style int) cellFmt {
	if style < 0 || style >= len(t.in.styles) {
		return cellFmt{}
	}
	return t.in.styles[style]
}

// columnNumber reads the column of a cell reference such as "AB12" (1-based); 0 if it names
// none, -1 if it names one past the last a sheet has (XFD).
func columnNumber(ref string) int {
	n := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			n = n*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			n = n*26 + int(c-'a'+1)
		default:
			return n
		}
		if n > MaxColumns {
			return -1
		}
	}
	return n
}

// columnName is the spreadsheet's name of the 0-based column i: A, B, ..., Z, AA, ...
func columnName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// Origins returns where the rows of the rejects.xlsx at path came from, read from its hidden
// Origin column: nil, quickly, for a workbook bulk did not write as rejects.xlsx (its core
// properties say so without reading a sheet). Rows whose Origin cell is not bulk's are left out.
func Origins(path string, o Options) ([]pipeline.Origin, error) {
	o.Sheet, o.HeaderRow, o.HeaderScore = "", 0, nil
	input, err := OpenXLSX(path, o)
	if err != nil {
		return nil, err
	}
	defer input.Close()
	in := input.(*xlsxInput)
	if !in.isRejects() {
		return nil, nil
	}
	var out []pipeline.Origin
	var rec pipeline.Record
	for {
		t, err := in.NextTable()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for {
			rec.Reset()
			if err := t.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
			if org, ok := pipeline.ParseOrigin(rec.Origin); ok {
				out = append(out, org)
			}
		}
	}
}

// isRejects reports whether bulk wrote the workbook as rejects.xlsx (RejectsKeyword).
func (in *xlsxInput) isRejects() bool {
	for _, kw := range strings.FieldsFunc(in.k.keywords(in.wb.coreProps), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		if kw == RejectsKeyword {
			return true
		}
	}
	return false
}
