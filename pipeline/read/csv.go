package read

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline"
)

// csvInput is a CSV file: one table.
type csvInput struct {
	f    *os.File
	t    *csvTable
	done bool
}

type csvTable struct {
	src     *pipeline.Source
	enc     encoding
	dec     *decoder
	p       *parser
	width   int
	row     int                // the row a spreadsheet program shows the record just read on
	rows    int                // estimated data rows (see EstimatedRows)
	pending []pipeline.Problem // problems of the header row, given to the first data row unless taken
	bad     []badBytes         // scratch: the bad bytes of the current record
	long    bool               // a cell of the record just split may be longer than csvMaxCell
	arena   strings.Builder    // the block records' text is copied into (see text)
}

// sniffSample is how much decoded text the delimiter sniffer looks at.
const sniffSample = 64 << 10

// OpenCSV opens a CSV file, works out its encoding (over the whole file) and delimiter (unless
// o.Delimiter is set), and reads its header: the first line that is not blank.
func OpenCSV(path string, o Options) (pipeline.Input, error) {
	if d := o.Delimiter; d != 0 && (d >= utf8.RuneSelf || d == '"' || d == '\r' || d == '\n') {
		return nil, fmt.Errorf("delimiter %q cannot be used: give , ; | tab or another single ASCII character", d)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	t, err := openCSV(f, path, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &csvInput{f: f, t: t}, nil
}

func openCSV(f io.ReadSeeker, path string, o Options) (*csvTable, error) {
	name := o.name(path)
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	enc, valid, err := detectEncoding(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	start, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	reader := func() (*decoder, *parser) {
		dec := newDecoder(f, enc)
		p := newParser(dec)
		if valid {
			// The whole file was just found valid UTF-8 (and has no mark to skip): the decoder
			// would only check it again and copy it, so the parser reads the file itself.
			p = newParser(f)
			p.noStarts = true
		}
		p.ctx = ctx
		return dec, p
	}
	dec, p := reader()
	sample, err := p.sample(sniffSample)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	comma := byte(o.Delimiter)
	if comma == 0 {
		comma = sniffDelimiter(sample, p.eof)
	}
	p.setComma(comma)
	rows := estimateRows(sample, p.eof, size, enc)
	src := &pipeline.Source{Path: path, File: name, Encoding: enc.String(), Delimiter: rune(comma), HeaderRow: 1}
	t := &csvTable{src: src, enc: enc, dec: dec, p: p, rows: rows}
	target := 0 // the header's row; 0: the first with values
	if o.searching() {
		if target, err = t.findHeader(o); err != nil {
			return nil, err
		}
		// Read again from the start: the rows looked through below the header are data.
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", name, err)
		}
		t.dec, t.p = reader()
		t.p.setComma(comma)
		t.row = 0
		p = t.p
	}
	for {
		err := t.read(0)
		if errors.Is(err, io.EOF) {
			break // no header: an empty file; the run reports it as matching no kind
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", name, err)
		}
		bad := t.takeBad()
		if len(bad) == 0 && p.blank() {
			continue
		}
		if t.row < target {
			src.Above++ // a title or a note above the header: not data
			continue
		}
		src.Header = t.split(src.Header, strings.Clone(string(p.text)))
		src.HeaderRow = t.row
		t.width = len(src.Header)
		t.pending = t.problems(t.pending, src.Header, bad, pipeline.Warning)
		break
	}
	return t, nil
}

// findHeader looks through the file's first rows with values for the header (see
// Options.HeaderScore and Options.HeaderRow) and returns its row.
func (t *csvTable) findHeader(o Options) (int, error) {
	p := t.p
	var rows [][]string
	var lines []int
	seen := 0
	for o.HeaderRow > 0 || len(rows) < HeaderSearch {
		err := t.read(0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("cannot read %s: %w", t.src.File, err)
		}
		if bad := t.takeBad(); len(bad) == 0 && p.blank() {
			continue
		}
		seen++
		if o.HeaderRow > 0 {
			if t.row == o.HeaderRow {
				return o.HeaderRow, nil
			}
			if t.row > o.HeaderRow {
				return 0, &HeaderRowError{Where: t.src.Where(), Row: o.HeaderRow}
			}
			continue
		}
		rows = append(rows, t.split(nil, string(p.text)))
		lines = append(lines, t.row)
	}
	if o.HeaderRow > 0 && seen > 0 {
		return 0, &HeaderRowError{Where: t.src.Where(), Row: o.HeaderRow, Past: true}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return lines[o.pickHeader(rows)], nil
}

// detectEncoding decides the encoding from a byte-order mark, or else from the whole file, and
// leaves f at the first byte of text. valid says it read the whole file and found it valid UTF-8.
func detectEncoding(ctx context.Context, f io.ReadSeeker) (enc encoding, valid bool, err error) {
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, false, err
	}
	head = head[:n]
	enc, skip, ok := bom(head)
	if !ok {
		var guessed bool
		if enc, guessed = utf16Guess(head); !guessed {
			// Nearly every file is settled by one fast pass; one that is not valid UTF-8 is read
			// again, counting, to choose between damaged UTF-8 and Windows-1252.
			buf := make([]byte, 256<<10)
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return 0, false, err
			}
			if ra, size, ok := sizedReaderAt(f); ok && size >= parallelUTF8Min {
				valid, err = validUTF8Parallel(ctx, ra, size, runtime.GOMAXPROCS(0))
			} else {
				valid, err = validUTF8(ctx, f, buf)
			}
			if err != nil {
				return 0, false, err
			}
			enc = encUTF8
			if !valid {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return 0, false, err
				}
				st, err := scanUTF8(ctx, f, buf)
				if err != nil {
					return 0, false, err
				}
				enc = st.decide()
			}
		}
	}
	_, err = f.Seek(int64(skip), io.SeekStart)
	return enc, valid, err
}

// estimateRows guesses a file's data rows from the lines of its first decoded bytes and its size.
func estimateRows(sample []byte, whole bool, size int64, enc encoding) int {
	lines := 0
	for i, c := range sample {
		if c == '\n' || c == '\r' && (i+1 == len(sample) || sample[i+1] != '\n') {
			lines++
		}
	}
	if lines <= 1 || whole {
		return max(lines-1, 0)
	}
	raw := float64(size)
	if enc == encUTF16LE || enc == encUTF16BE {
		raw /= 2 // two bytes a character, near enough for the text of a CSV
	}
	return int(raw / float64(len(sample)) * float64(lines))
}

// EstimatedRows is the number of data rows the file probably holds, from its size and its first
// lines. The run sizes its duplicate index with it once, instead of growing it step by step.
func (t *csvTable) EstimatedRows() int { return t.rows }

func (in *csvInput) NextTable() (pipeline.Table, error) {
	if in.done {
		return nil, io.EOF
	}
	in.done = true
	return in.t, nil
}

func (in *csvInput) Close() error { return in.f.Close() }

func (t *csvTable) Source() *pipeline.Source { return t.src }

// HeaderProblems hands over the problems found in the header row (warnings, on the header's
// row), for the runner to report with the table, as it reports unknown columns. Once they are
// taken, no data row carries them; until then the first data row does, which loses them when
// the file has a header and no data rows. Call it before the first Next.
func (t *csvTable) HeaderProblems() []pipeline.Problem {
	ps := t.pending
	t.pending = nil
	return ps
}

// Next fills rec with the next row that is not blank.
func (t *csvTable) Next(rec *pipeline.Record) error {
	for {
		if err := t.read(t.width); err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return err
		}
		bad := t.takeBad()
		if len(bad) == 0 && t.p.blank() {
			continue
		}
		p := t.p
		rec.Cells = t.split(rec.Cells, t.text(p.text))
		rec.Row = t.row
		if len(t.pending) > 0 {
			rec.Problems = append(rec.Problems, t.pending...)
			t.pending = nil
		}
		if !p.tooLong && !p.resynced && len(p.ends) != t.width && len(p.ends) <= csvMaxColumns {
			rec.Problems = append(rec.Problems, t.problem(rec.Row, -1, "", pipeline.RuleMalformed, pipeline.Error,
				fmt.Sprintf("This row has %d cells but the header has %d (cells are read as separated by %s): a delimiter or quote is probably out of place in this row.",
					len(p.ends), t.width, delimiterName(p.comma))))
		}
		rec.Problems = t.problems(rec.Problems, rec.Cells, bad, pipeline.Error)
		return nil
	}
}

// read reads the next record, counting rows as a spreadsheet program does: a record is one row
// however many lines its quoted cells run over, and a blank line is a row too.
func (t *csvTable) read(width int) error {
	err := t.p.read(width)
	if err == nil {
		t.row++
	}
	return err
}

// split appends the cells of the record just read to dst, s being its text, and notes in t.long
// whether a cell may be longer than a spreadsheet cell can be. Cells past column XFD are not
// kept: problems reports them, and a table wider than any spreadsheet costs no more to check
// than one as wide as that.
func (t *csvTable) split(dst []string, s string) []string {
	ends := t.p.ends
	if len(ends) > csvMaxColumns {
		ends = ends[:csvMaxColumns]
	}
	prev, long := 0, false
	for _, e := range ends {
		long = long || e-prev > csvMaxCell
		dst = append(dst, s[prev:e])
		prev = e + 1 // past the delimiter
	}
	t.long = long
	return dst
}

// textChunk is the size of the blocks records' text is kept in.
const textChunk = 32 << 10

// text returns b as a string that stays valid however the parser's buffers are reused: the
// record's cells are slices of it. Records are copied one after another into shared blocks, one
// allocation per block instead of one per record (that allocation was a quarter of the reader's
// time, and the reader is one goroutine that every row waits on). Bytes once handed out are
// never written again (a strings.Builder only appends, and a full block is left as it is), so
// the strings are as immutable as any. The cost: a string kept after its row is done keeps its
// whole block (32 KiB) alive, so what keeps cell text for long copies it (Row.Report for problem
// values, the loaders' row structs).
func (t *csvTable) text(b []byte) string {
	if len(b) > textChunk/4 {
		return string(b) // a long record gets its own
	}
	if t.arena.Cap()-t.arena.Len() < len(b) {
		t.arena = strings.Builder{}
		t.arena.Grow(textChunk)
	}
	start := t.arena.Len()
	t.arena.Write(b)
	return t.arena.String()[start:]
}

// takeBad returns the bad bytes that fall within the record just read.
func (t *csvTable) takeBad() []badBytes {
	t.bad = t.bad[:0]
	q := t.dec.bad
	k := 0
	for k < len(q) && q[k].off < t.p.endOff {
		k++
	}
	if k == 0 {
		return nil
	}
	t.bad = append(t.bad, q[:k]...)
	t.dec.bad = append(q[:0], q[k:]...)
	return t.bad
}

// problems appends the reader's problems about the record just read (quoting, length, bytes),
// with sev: errors on data rows, warnings on the header (whose columns are then reported again
// if no field matches them).
func (t *csvTable) problems(ps []pipeline.Problem, cells []string, bad []badBytes, sev pipeline.Severity) []pipeline.Problem {
	p := t.p
	row := t.row
	prefix := ""
	if sev == pipeline.Warning {
		prefix = "In the header row: "
	}
	cell := func(i int) string {
		if i < len(cells) {
			return cells[i]
		}
		return ""
	}
	if p.tooLong {
		ps = append(ps, t.problem(row, -1, "", pipeline.RuleMalformed, sev, prefix+fmt.Sprintf(
			"This line is longer than %d MiB without a line end, so it cannot be a row of a CSV file and its cells were not read. Check that the file is a CSV export.", maxRecord>>20)))
	}
	if n := len(p.ends); n > csvMaxColumns {
		ps = append(ps, t.problem(row, -1, "", pipeline.RuleMalformed, sev, prefix+fmt.Sprintf(
			"This row has %d cells, more than the %d columns (A to XFD) a spreadsheet can have, so the cells after column XFD were not read. Check that the file is a CSV export and that its cells are separated by %s.",
			n, csvMaxColumns, delimiterName(p.comma))))
	}
	if t.long {
		for i, c := range cells {
			if len(c) > csvMaxCell && utf8.RuneCountInString(c) > csvMaxCell {
				ps = append(ps, t.problem(row, i, preview(c), pipeline.RuleMalformed, sev, prefix+fmt.Sprintf(
					"%s is %d characters long, more than the %d a spreadsheet cell can hold. Check the quotes around it, or shorten it.",
					capital(t.cellName(i)), utf8.RuneCountInString(c), csvMaxCell)))
			}
		}
	}
	if p.qprob != quoteOK {
		c := p.qcell
		in := t.cellName(c)
		var msg string
		switch {
		case p.runaway:
			msg = fmt.Sprintf("%s opens a quote that is not closed on this line, so the row cannot be read reliably: taken as written, the quoted cell would run on for more than %d characters or %d lines (over %d lines at least), longer than a spreadsheet cell can be. Close or remove the quote; reading went on with the next line.", capital(in), csvMaxCell, csvMaxCellLines, p.spanned)
		case p.resynced:
			msg = fmt.Sprintf("%s opens a quote that is not closed on this line, so the row cannot be read reliably (taken as written, the quoted cell would run on over %d lines). Close or remove the quote; reading went on with the next line.", capital(in), p.spanned)
		case p.qprob == quoteUnclosed:
			msg = fmt.Sprintf("%s opens a quote that is never closed before the end of the file. Close or remove the quote.", capital(in))
		case p.qprob == quoteTextAfter:
			msg = fmt.Sprintf("%s is quoted but has text after its closing quote. A quote inside a quoted cell must be doubled (\"\"); correct the cell or save the file again from your spreadsheet program.", capital(in))
		default:
			msg = fmt.Sprintf("%s has a quote (\") in the middle of it. A cell holding quotes must itself be in quotes, with each quote inside doubled (\"\"); correct the cell or save the file again from your spreadsheet program.", capital(in))
		}
		ps = append(ps, t.problem(row, c, cell(c), pipeline.RuleMalformed, sev, prefix+msg))
	}
	for i := 0; i < len(bad); {
		c := p.cellAt(bad[i].off)
		var raw []string
		j := i
		for ; j < len(bad) && p.cellAt(bad[j].off) == c; j++ {
			if len(raw) < 4 {
				raw = append(raw, bad[j].String())
			}
		}
		what, shown := "bytes that are", "they are"
		if j-i == 1 && bad[i].n == 1 {
			what, shown = "a byte that is", "it is"
		}
		ps = append(ps, t.problem(row, c, cell(c), pipeline.RuleEncoding, sev, prefix+fmt.Sprintf(
			"%s has %s not valid %s, the encoding this file was read in (%s); %s shown as \uFFFD. Type the characters again, or save the file as \"CSV UTF-8\" from your spreadsheet program.",
			capital(t.cellName(c)), what, t.enc, strings.Join(raw, " "), shown)))
		i = j
	}
	return ps
}

// cellName names a cell for a message: `column "Email"`, or `cell 17` beyond the header.
func (t *csvTable) cellName(c int) string {
	if c >= 0 && c < len(t.src.Header) && strings.TrimSpace(t.src.Header[c]) != "" {
		return fmt.Sprintf("column %q", t.src.Header[c])
	}
	return fmt.Sprintf("cell %d", c+1)
}

func (t *csvTable) problem(row, col int, value, rule string, sev pipeline.Severity, msg string) pipeline.Problem {
	column := ""
	if col >= 0 && col < len(t.src.Header) {
		column = t.src.Header[col]
	}
	if line := t.p.startLine; row == t.row && line != row {
		// A quoted cell over several lines above this record: the file's line is not its row.
		msg += fmt.Sprintf(" (Row %d starts on line %d of the file.)", row, line)
	}
	return pipeline.Problem{Source: t.src, File: t.src.File, Row: row, Column: column, Value: strings.Clone(value),
		Rule: rule, Severity: sev, Message: msg}
}

// cellAt returns the cell of the record just read that holds decoded-text offset off.
func (p *parser) cellAt(off int64) int {
	c := 0
	for c+1 < len(p.starts) && p.starts[c+1] <= off {
		c++
	}
	return c
}

// preview is the start of a cell too long to show whole in a report: its first 100 characters.
func preview(s string) string {
	n := 0
	for i := range s {
		if n == 100 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func delimiterName(c byte) string {
	switch c {
	case '\t':
		return "tabs"
	case ',':
		return "commas"
	case ';':
		return "semicolons"
	case '|':
		return "'|'"
	}
	return fmt.Sprintf("%q", rune(c))
}
