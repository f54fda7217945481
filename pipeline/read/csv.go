package read

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bulkload/bulk/pipeline"
)

// csvInput is a CSV file: one table.
type csvInput struct {
	f    *os.File
	t    *csvTable
	done bool
}

type csvTable struct {
	src   *pipeline.Source
	r     *csv.Reader
	width int
}

// OpenCSV opens a CSV file and reads its header.
func OpenCSV(path string, o Options) (pipeline.Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	br := bufio.NewReaderSize(f, 256<<10)
	// A UTF-8 byte-order mark is stripped before the CSV reader sees it: a quoted first header
	// after a BOM would otherwise be a quoting error.
	if b, _ := br.Peek(3); len(b) == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	delim := o.Delimiter
	if delim == 0 {
		delim = ','
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	src := &pipeline.Source{Path: path, File: filepath.Base(path), Encoding: "utf-8", Delimiter: delim}
	in := &csvInput{f: f, t: &csvTable{src: src, r: cr}}
	hdr, err := cr.Read()
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("%s: the header row cannot be read: %v", src.File, err)
	}
	src.Header = append([]string(nil), hdr...)
	src.HeaderRow = 1
	in.t.width = len(hdr)
	return in, nil
}

func (in *csvInput) NextTable() (pipeline.Table, error) {
	if in.done {
		return nil, io.EOF
	}
	in.done = true
	return in.t, nil
}

func (in *csvInput) Close() error { return in.f.Close() }

func (t *csvTable) Source() *pipeline.Source { return t.src }

func (t *csvTable) Next(rec *pipeline.Record) error {
	for {
		fields, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rec.Row = pe.StartLine
			rec.Problems = append(rec.Problems, pipeline.Problem{Source: t.src, File: t.src.File, Row: pe.StartLine,
				Rule: pipeline.RuleMalformed, Severity: pipeline.Error,
				Message: fmt.Sprintf("This row cannot be read: %v. Check the quotes in the row.", pe.Err)})
			return nil
		} else if err != nil {
			return err
		}
		rec.Row, _ = t.r.FieldPos(0)
		rec.Cells = append(rec.Cells, fields...)
		if rec.Empty() {
			rec.Cells = rec.Cells[:0]
			continue
		}
		if len(fields) != t.width {
			rec.Problems = append(rec.Problems, pipeline.Problem{Source: t.src, File: t.src.File, Row: rec.Row,
				Rule: pipeline.RuleMalformed, Severity: pipeline.Error,
				Message: fmt.Sprintf("This row has %d cells but the header has %d: a delimiter or quote is probably out of place.", len(fields), t.width)})
		}
		return nil
	}
}
