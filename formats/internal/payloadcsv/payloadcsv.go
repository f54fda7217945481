// Package payloadcsv writes the CSV payloads of PeopleFluent's contentHandler endpoints
// (trainingHistoryCsv, externalTrainingCsv) from typed rows: a struct whose `csv` tags are the
// vendor's canonical headers, in the vendor's order.
//
// The struct tags are the single source of the headers: the kinds take their field names from
// them (Tag) and the payload header is what gocsv reads from them. Rows are written with gocsv
// in batches to a csv.Writer this package owns, never through gocsv's global writer factory,
// so the settings of other gocsv users cannot change a payload. The payload is UTF-8 without a
// byte-order mark, RFC-4180 quoted, with CRLF line ends, as the LMS's own clients send it.
package payloadcsv

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/gocarina/gocsv"
)

// Tag returns the csv tag (the canonical header) of the field named goField of struct T. It
// panics when there is none: a programming error in a kind, caught by its first test.
func Tag[T any](goField string) string {
	var zero T
	f, ok := reflect.TypeOf(zero).FieldByName(goField)
	if !ok {
		panic(fmt.Sprintf("payloadcsv: %T has no field %s", zero, goField))
	}
	name, _, _ := strings.Cut(f.Tag.Get("csv"), ",")
	if name == "" || name == "-" {
		panic(fmt.Sprintf("payloadcsv: %T.%s has no csv tag", zero, goField))
	}
	return name
}

// Header returns the header gocsv writes for T: every tagged field, in struct order.
func Header[T any]() ([]string, error) {
	var c capture
	if err := gocsv.MarshalCSV([]T{}, &c); err != nil {
		return nil, err
	}
	if len(c.rows) != 1 {
		return nil, fmt.Errorf("payloadcsv: gocsv wrote %d header rows for %T", len(c.rows), *new(T))
	}
	return c.rows[0], nil
}

// capture is a gocsv.CSVWriter that keeps the rows written to it.
type capture struct{ rows [][]string }

func (c *capture) Write(row []string) error {
	c.rows = append(c.rows, append([]string(nil), row...))
	return nil
}
func (c *capture) Flush()       {}
func (c *capture) Error() error { return nil }

// DefaultBatch is how many rows are handed to gocsv at once: large enough that its per-call
// reflection is amortised, small enough that memory stays flat whatever the input size.
const DefaultBatch = 1024

// Writer streams typed rows of T into a CSV payload. Fill a row in the slot Next returns, then
// call Commit; Close flushes what is left. A Writer is not safe for concurrent use: the
// pipeline's sink calls it from one goroutine, in input order.
type Writer[T any] struct {
	bw    *bufio.Writer
	proj  *projector
	batch []T
	n     int
	rows  int64
	err   error
}

// NewWriter writes the header of T to w, keeping only the columns keep accepts (in T's order),
// and returns a writer for the rows. keep receives the canonical header.
func NewWriter[T any](w io.Writer, keep func(header string) bool, batch int) (*Writer[T], error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw) // buffers in bw itself: bw is larger than csv's default buffer
	cw.UseCRLF = true
	p := &projector{cw: cw, keep: keep}
	// gocsv writes the header from T's tags; projector learns the kept columns from it.
	if err := gocsv.MarshalCSV([]T{}, p); err != nil {
		return nil, fmt.Errorf("writing the payload header: %w", err)
	}
	if len(p.cols) == 0 {
		return nil, fmt.Errorf("payloadcsv: no column of %T is kept", *new(T))
	}
	return &Writer[T]{bw: bw, proj: p, batch: make([]T, batch)}, nil
}

// Columns returns the header the payload was written with.
func (w *Writer[T]) Columns() []string { return append([]string(nil), w.proj.header...) }

// Next returns a zeroed row to fill. Its contents are written at the next Commit.
func (w *Writer[T]) Next() *T {
	var zero T
	w.batch[w.n] = zero
	return &w.batch[w.n]
}

// Commit adds the row filled after Next to the payload, writing a batch when one is full.
func (w *Writer[T]) Commit() error {
	if w.err != nil {
		return w.err
	}
	w.n++
	w.rows++
	if w.n == len(w.batch) {
		return w.flushBatch()
	}
	return nil
}

// Rows returns how many rows were committed.
func (w *Writer[T]) Rows() int64 { return w.rows }

func (w *Writer[T]) flushBatch() error {
	if w.n == 0 {
		return nil
	}
	err := gocsv.MarshalCSVWithoutHeaders(w.batch[:w.n], w.proj)
	w.n = 0
	if err != nil {
		w.err = fmt.Errorf("writing the payload: %w", err)
	}
	return w.err
}

// Close writes the rows not yet written and flushes. It does not close the underlying writer.
func (w *Writer[T]) Close() error {
	if err := w.flushBatch(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("writing the payload: %w", err)
	}
	return w.err
}

// projector is the gocsv.CSVWriter we own: the first row it is given is the full header of T,
// from which it learns which columns to keep; every row is written with only those columns.
type projector struct {
	cw     *csv.Writer
	keep   func(string) bool
	cols   []int
	header []string
	out    []string
	seen   bool
}

func (p *projector) Write(row []string) error {
	if !p.seen {
		p.seen = true
		for i, h := range row {
			if p.keep == nil || p.keep(h) {
				p.cols = append(p.cols, i)
				p.header = append(p.header, h)
			}
		}
		if len(p.cols) == 0 {
			return nil
		}
		return p.cw.Write(p.header)
	}
	p.out = p.out[:0]
	for _, i := range p.cols {
		p.out = append(p.out, row[i])
	}
	return p.cw.Write(p.out)
}

// Flush is called by gocsv after every batch. The csv.Writer buffers in bw itself (bufio reuses
// a large enough *bufio.Writer), so a batch costs one write to the file, not one per row.
func (p *projector) Flush()       { p.cw.Flush() }
func (p *projector) Error() error { return p.cw.Error() }
