package peoplefluent

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultChunkRows is how many data rows a CSV chunk holds unless told otherwise.
const DefaultChunkRows = 5000 // guess G33 (docs/guesses.md): no limit is documented

// chunk is one request's worth of a CSV payload: the header plus up to
// ChunkRows records, each with the row a spreadsheet shows it on in the
// pushed file.
type chunk struct {
	index int        // 1-based
	rows  [][]string // data records as read
	nums  []int      // nums[i] = spreadsheet row of rows[i]
}

// chunker splits a CSV payload into chunks as it reads, so memory holds one
// chunk whatever the file size. It splits by CSV record, not by line: a quoted
// cell may contain line breaks.
type chunker struct {
	r       *csv.Reader
	size    int
	header  []string
	row     int // spreadsheet row of the last record read
	endLine int // physical line the last record ended on
	next    int // index of the next chunk
	err     error
}

// PayloadError says where a payload is not the CSV it should be.
type PayloadError struct {
	File string
	Line int // physical line (1-based) where reading failed
	Err  error
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("%s: line %d: %v", e.File, e.Line, e.Err)
}

func (e *PayloadError) Unwrap() error { return e.Err }

// utf8BOM is stripped before the CSV reader: a BOM before a quoted header
// makes encoding/csv fail, and the LMS wants the payload without one.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	return br
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(skipBOM(r))
	cr.FieldsPerRecord = -1 // widths are the LMS's business; pass rows through unchanged
	return cr
}

func newChunker(file string, r io.Reader, size int) (*chunker, error) {
	if size <= 0 {
		size = DefaultChunkRows
	}
	c := &chunker{r: newCSVReader(r), size: size, next: 1}
	h, err := c.read(file)
	if errors.Is(err, io.EOF) {
		return nil, &PayloadError{File: file, Line: 1, Err: errors.New("the file is empty: a payload starts with a header row")}
	}
	if err != nil {
		return nil, err
	}
	c.header = h
	return c, nil
}

// read returns the next record and advances the spreadsheet row count. A
// blank line is skipped by encoding/csv but shows as an empty row when the
// file is opened in a spreadsheet, so it is counted: row numbers then match
// what the user sees.
func (c *chunker) read(file string) ([]string, error) {
	rec, err := c.r.Read()
	if err != nil {
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			err := fmt.Errorf("not valid CSV: %w", pe.Err)
			if pe.Line != pe.StartLine {
				err = fmt.Errorf("not valid CSV: %w (found on line %d: look for a quote that is not closed)", pe.Err, pe.Line)
			}
			return nil, &PayloadError{File: file, Line: pe.StartLine, Err: err}
		}
		return nil, err
	}
	start, _ := c.r.FieldPos(0)
	c.row += 1 + max(0, start-c.endLine-1)
	last := len(rec) - 1
	endStart, _ := c.r.FieldPos(last)
	c.endLine = endStart + strings.Count(rec[last], "\n")
	return rec, nil
}

// Next returns the next chunk, or io.EOF after the last one. A read error
// (a *PayloadError) comes with the records read before it, which the caller
// can still account for.
func (c *chunker) Next(file string) (*chunk, error) {
	if c.err != nil {
		return nil, c.err
	}
	ch := &chunk{index: c.next}
	for len(ch.rows) < c.size {
		rec, err := c.read(file)
		if err != nil {
			c.err = err
			break
		}
		ch.rows = append(ch.rows, rec)
		ch.nums = append(ch.nums, c.row)
	}
	if len(ch.rows) == 0 {
		return nil, c.err
	}
	c.next++
	if errors.Is(c.err, io.EOF) {
		return ch, nil // the EOF is returned by the next call
	}
	return ch, c.err
}

// encodeChunk writes header and rows as RFC 4180 CSV with CRLF line ends,
// UTF-8 without BOM: what the LMS is seen to accept.
func encodeChunk(buf *bytes.Buffer, header []string, rows [][]string) error {
	buf.Reset()
	w := csv.NewWriter(buf)
	w.UseCRLF = true
	if err := w.Write(header); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return w.Error()
}
