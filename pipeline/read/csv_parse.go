package read

import (
	"context"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// The CSV parser is bulk's own rather than encoding/csv because of what happens after a broken
// quote. encoding/csv keeps reading a quoted cell that is never closed until it finds another
// quote, possibly at the end of the file, and it cannot go back: every row after the broken one is
// lost or garbled. Here a record lives whole in one buffer, so when a multi-line record does not
// make sense (its quoting is broken, or it has the wrong number of cells) the parser reads its
// first line again on its own, reports that line, and goes on from the next one. It also tells
// where each cell starts in the decoded text, so a bad byte is reported on its row and column.
//
// The grammar is RFC 4180 as spreadsheet programs write it: a cell is quoted when its first
// character is '"', and "" inside quotes is one quote. A line ends at "\r\n", "\n" or a lone "\r"
// (old Mac Excel), inside quoted cells too (where it is kept as "\n").

const (
	readChunk = 64 << 10
	// maxRecord bounds the memory one record may take. A record still open after this many bytes
	// is a broken quote (multi-line) or not a CSV line at all (single line).
	maxRecord = 1 << 20
	// csvMaxCell is the most characters a spreadsheet cell holds (Excel's limit, also LibreOffice's
	// and Google Sheets'). A quoted cell that runs on over line ends past it is taken for a
	// quote that was never closed: its record is cut back to its first line.
	csvMaxCell = 32767
	// csvMaxCellLines is the most lines a quoted cell may span before it is taken for an unclosed
	// quote too, so a quote left open above many short lines is found within a thousand of them.
	csvMaxCellLines = 1000
	// csvMaxColumns is the most columns a spreadsheet has (A to XFD): cells beyond are not read.
	csvMaxColumns = 16384
)

// quoteProblem says what is wrong with a cell's quoting.
type quoteProblem uint8

const (
	quoteOK        quoteProblem = iota
	quoteBare                   // a quote inside a cell that does not start with one
	quoteTextAfter              // text between a closing quote and the next delimiter
	quoteUnclosed               // a quote opened and not closed on the line (or in the file)
)

type status uint8

const (
	parsed status = iota
	needMore
	atEnd
	runaway // a quoted cell ran over line ends past csvMaxCell characters or csvMaxCellLines lines
)

type parser struct {
	ctx     context.Context // checked before each read of more text: Ctrl-C stops a long read
	rd      io.Reader
	comma   byte
	special [256]bool // bytes that end an unquoted cell's fast scan: comma, '"', '\r', '\n'

	buf  []byte
	r, w int
	base int64 // offset of buf[0] in the decoded text
	eof  bool
	line int // line number of buf[r]

	// The record just parsed.
	// text is the cells' content, each cell followed by one delimiter byte but the last: then an
	// unquoted run of the input is its own text, copied once per record, not once per cell.
	text   []byte
	ends   []int   // end of each cell in text; a cell starts one byte after the previous one's end
	starts []int64 // decoded-text offset where each cell starts (unless noStarts)
	// noStarts: the text is the file itself, already proved valid UTF-8, so no bad byte will
	// need placing in a cell and starts is not kept (an append per cell saved).
	noStarts  bool
	qcell     int // first cell with a quoting problem
	qprob     quoteProblem
	startLine int
	startOff  int64
	endOff    int64
	lines     int  // physical lines the record spans
	tooLong   bool // the record is a line longer than maxRecord; its cells are not read
	resynced  bool // the record is the first line of a multi-line record that made no sense
	runaway   bool // ... because a quoted cell in it ran past csvMaxCell characters or csvMaxCellLines lines
	spanned   int  // lines the record would have spanned, when resynced

	next, nextLine int // where the record ends: committed once the record is accepted
}

func newParser(rd io.Reader) *parser {
	return &parser{ctx: context.Background(), rd: rd, buf: make([]byte, 4*readChunk), line: 1}
}

func (p *parser) setComma(c byte) {
	p.comma = c
	p.special = [256]bool{}
	for _, b := range []byte{c, '"', '\r', '\n'} {
		p.special[b] = true
	}
}

// fill reads more decoded text, keeping the unconsumed part. It grows the buffer while one record
// needs it, up to maxRecord; it returns false when the buffer is full at that size.
func (p *parser) fill() (bool, error) {
	if p.r > 0 {
		p.w = copy(p.buf, p.buf[p.r:p.w])
		p.base += int64(p.r)
		p.r = 0
	}
	if len(p.buf)-p.w < readChunk/4 {
		if len(p.buf) >= maxRecord {
			return false, nil
		}
		nb := make([]byte, min(2*len(p.buf), maxRecord+readChunk))
		copy(nb, p.buf[:p.w])
		p.buf = nb
	}
	if err := p.ctx.Err(); err != nil {
		return true, err
	}
	for !p.eof {
		n, err := p.rd.Read(p.buf[p.w:])
		p.w += n
		if errors.Is(err, io.EOF) {
			p.eof = true
		} else if err != nil {
			return true, err
		}
		if n > 0 {
			break
		}
	}
	return true, nil
}

// sample fills the buffer with at least n bytes (or the whole text, if shorter) and returns it.
func (p *parser) sample(n int) ([]byte, error) {
	for p.w-p.r < n && !p.eof {
		if ok, err := p.fill(); err != nil || !ok {
			return p.buf[p.r:p.w], err
		}
	}
	return p.buf[p.r:p.w], nil
}

// read parses the next record. width is the header's cell count (0 while reading the header): a
// multi-line record with another count is taken for a broken quote. It returns io.EOF at the end.
func (p *parser) read(width int) error {
	for {
		switch p.parse(false) {
		case atEnd:
			return io.EOF
		case runaway:
			// Taken as written, the quoted cell would swallow the rows below it (and, in a
			// file of millions of lines, all memory): read its first line alone.
			p.resync()
			p.runaway = true
			p.r, p.line = p.next, p.nextLine
			return nil
		case parsed:
			if p.lines > 1 && (p.qprob != quoteOK || width > 0 && len(p.ends) != width) {
				p.resync()
			}
			p.r, p.line = p.next, p.nextLine
			return nil
		}
		ok, err := p.fill()
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		// The buffer is full at its limit and the record is still open.
		if p.lines > 1 {
			// A quoted cell has run over many lines: read its first line alone.
			p.resync()
			p.r, p.line = p.next, p.nextLine
			return nil
		}
		return p.skipLongLine()
	}
}

// resync parses the record just read again as its first line alone.
func (p *parser) resync() {
	spanned := p.lines
	p.parse(true)
	p.resynced, p.spanned = true, spanned
}

// skipLongLine gives up on a line longer than maxRecord: it becomes a record with no cells (the
// reader reports it) and the text up to the next line end is dropped.
func (p *parser) skipLongLine() error {
	p.resetRecord()
	p.tooLong = true
	p.startLine, p.startOff = p.line, p.base+int64(p.r)
	for {
		b := p.buf[p.r:p.w]
		for i, c := range b {
			if c != '\n' && c != '\r' {
				continue
			}
			if c == '\r' && i+1 == len(b) && !p.eof {
				break // is it "\r\n"? read on to see
			}
			n := 1
			if c == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				n = 2
			}
			p.r += i + n
			p.line++
			p.endOff = p.base + int64(p.r)
			return nil
		}
		if p.eof {
			p.r = p.w
			p.endOff = p.base + int64(p.r)
			return nil
		}
		if c := p.w - p.r; c > 0 && p.buf[p.w-1] == '\r' {
			p.r = p.w - 1
		} else {
			p.r = p.w
		}
		if _, err := p.fill(); err != nil {
			return err
		}
	}
}

func (p *parser) resetRecord() {
	p.text = p.text[:0]
	p.ends = p.ends[:0]
	p.starts = p.starts[:0]
	p.qprob, p.qcell = quoteOK, 0
	p.tooLong, p.resynced, p.runaway = false, false, false
}

func (p *parser) noteQuote(cell int, q quoteProblem) {
	if p.qprob == quoteOK {
		p.qprob, p.qcell = q, cell
	}
}

// parse reads one record from buf[r:w]. In lineOnly mode a line end always ends the record, even
// inside quotes: that is how a record with broken quoting is cut back to its first line.
func (p *parser) parse(lineOnly bool) status {
	b := p.buf[:p.w]
	i := p.r
	if i >= len(b) {
		if p.eof {
			return atEnd
		}
		p.lines = 1
		return needMore
	}
	p.resetRecord()
	p.startLine, p.startOff = p.line, p.base+int64(i)
	lines := 1
	comma := p.comma
	pend := i // b[pend:i] belongs to text and is not yet copied there
	for {
		cell := len(p.ends)
		if !p.noStarts {
			p.starts = append(p.starts, p.base+int64(i))
		}
		if i < len(b) && b[i] == '"' {
			p.text = append(p.text, b[pend:i]...)
			i++
			// The cell's bounds, checked at each line end inside it: its characters are
			// counted only once its bytes pass csvMaxCell, and then only the new ones.
			cellStart, counted, runes, cellLines := len(p.text), len(p.text), 0, 1
		quoted:
			for {
				j := i
				for j < len(b) && b[j] != '"' && b[j] != '\n' && b[j] != '\r' {
					j++
				}
				p.text = append(p.text, b[i:j]...)
				i = j
				if i == len(b) {
					if !p.eof {
						p.lines = lines
						return needMore
					}
					p.noteQuote(cell, quoteUnclosed)
					break quoted
				}
				if b[i] == '"' {
					if i+1 == len(b) && !p.eof {
						p.lines = lines
						return needMore
					}
					if i+1 < len(b) && b[i+1] == '"' {
						p.text = append(p.text, '"')
						i += 2
						continue
					}
					i++ // the closing quote
					if i < len(b) && b[i] != comma && b[i] != '\n' && b[i] != '\r' {
						// Text after the closing quote: kept as written, quote included,
						// so the cell shows where the problem is.
						p.noteQuote(cell, quoteTextAfter)
						j := i
						for j < len(b) && b[j] != comma && b[j] != '\n' && b[j] != '\r' {
							j++
						}
						if j == len(b) && !p.eof {
							p.lines = lines
							return needMore
						}
						p.text = append(p.text, '"')
						p.text = append(p.text, b[i:j]...)
						i = j
					}
					break quoted
				}
				// A line end inside quotes.
				if lineOnly {
					p.noteQuote(cell, quoteUnclosed)
					break quoted
				}
				n := 1
				if b[i] == '\r' {
					if i+1 == len(b) && !p.eof {
						p.lines = lines
						return needMore
					}
					if i+1 < len(b) && b[i+1] == '\n' {
						n = 2
					}
				}
				i += n
				lines++
				p.text = append(p.text, '\n')
				cellLines++
				if cellLines > csvMaxCellLines {
					p.lines = lines
					return runaway
				}
				if len(p.text)-cellStart > csvMaxCell {
					runes += utf8.RuneCount(p.text[counted:])
					counted = len(p.text)
					if runes > csvMaxCell {
						p.lines = lines
						return runaway
					}
				}
			}
			pend = i
		} else {
			j := i
			for {
				for j < len(b) && !p.special[b[j]] {
					j++
				}
				if j < len(b) && b[j] == '"' {
					p.noteQuote(cell, quoteBare)
					j++
					continue
				}
				break
			}
			if j == len(b) && !p.eof {
				p.lines = lines
				return needMore
			}
			i = j
		}
		p.ends = append(p.ends, len(p.text)+i-pend)
		if i < len(b) && b[i] == comma {
			i++
			continue
		}
		p.text = append(p.text, b[pend:i]...)
		// The end of the record: a line end or the end of the text.
		if i < len(b) {
			if b[i] == '\r' {
				if i+1 == len(b) && !p.eof {
					p.lines = lines
					return needMore
				}
				if i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
			}
			i++
		}
		p.lines = lines
		p.next, p.nextLine = i, p.line+lines
		p.endOff = p.base + int64(i)
		return parsed
	}
}

// blank reports whether the record is all empty or white-space cells (such lines are skipped, as
// a spreadsheet shows them as empty rows).
func (p *parser) blank() bool {
	if p.tooLong || p.qprob != quoteOK {
		return false
	}
	prev := 0
	for _, e := range p.ends {
		if !blankText(p.text[prev:e]) {
			return false
		}
		prev = e + 1
	}
	return true
}

// blankText reports whether b is empty or white space.
func blankText(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			continue
		}
		if c < 0x80 {
			return false
		}
		return blankUnicode(b)
	}
	return true
}

func blankUnicode(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !unicode.IsSpace(r) {
			return false
		}
		b = b[n:]
	}
	return true
}
