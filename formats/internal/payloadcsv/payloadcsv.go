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
	"slices"
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

// DefaultBatch is how many rows are handed to gocsv at once in Gocsv mode: large enough that
// its per-call set-up is amortised, small enough that memory stays flat whatever the input size.
const DefaultBatch = 1024

// Options tune a Writer.
type Options struct {
	// Gocsv writes the rows with gocsv.MarshalCSVWithoutHeaders, a batch at a time. The default
	// writes each row's string fields straight to encoding/csv: gocsv converts every cell to an
	// interface through reflection, which on the export benchmark made the writer the slowest
	// stage (numbers in docs/peoplefluent-formats.md). The header comes from gocsv either way.
	Gocsv bool
	Batch int // rows per gocsv call; 0 = DefaultBatch
}

// Writer streams typed rows of T into a CSV payload. Fill a row in the slot Next returns, then
// call Commit; Close flushes what is left. A Writer is not safe for concurrent use: the
// pipeline's sink calls it from one goroutine, in input order.
type Writer[T any] struct {
	bw     *bufio.Writer
	proj   *projector
	batch  []T
	n      int
	rows   int64
	err    error
	gocsv  bool
	fields []int // direct mode: the struct field of each payload column
}

// NewWriter writes the header of T to w, keeping only the columns keep accepts (in T's order),
// and returns a writer for the rows. keep receives the canonical header.
func NewWriter[T any](w io.Writer, keep func(header string) bool, o Options) (*Writer[T], error) {
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if !o.Gocsv {
		o.Batch = 1
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw) // buffers in bw itself: bw is larger than csv's default buffer
	// guess G34 (docs/guesses.md): UTF-8 without a BOM, CRLF, as seen in public clients.
	cw.UseCRLF = true
	p := &projector{cw: cw, keep: keep}
	// gocsv writes the header from T's tags; projector learns the kept columns from it.
	if err := gocsv.MarshalCSV([]T{}, p); err != nil {
		return nil, fmt.Errorf("writing the payload header: %w", err)
	}
	if len(p.cols) == 0 {
		return nil, fmt.Errorf("payloadcsv: no column of %T is kept", *new(T))
	}
	pw := &Writer[T]{bw: bw, proj: p, batch: make([]T, o.Batch), gocsv: o.Gocsv}
	if !o.Gocsv {
		all, idx, err := stringFields[T]()
		if err != nil {
			return nil, err
		}
		if !slices.Equal(all, p.all) {
			return nil, fmt.Errorf("payloadcsv: gocsv reads the header of %T as %q, the direct encoder as %q", *new(T), p.all, all)
		}
		for _, c := range p.cols {
			pw.fields = append(pw.fields, idx[c])
		}
	}
	return pw, nil
}

// stringFields lists T's csv-tagged fields as gocsv orders them (struct order, untagged and
// unexported fields skipped), with their field indexes. The direct encoder handles flat structs
// of strings only, which is what payload rows are.
func stringFields[T any]() (names []string, idx []int, err error) {
	rt := reflect.TypeOf(*new(T))
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("csv"), ",")
		if name == "-" {
			continue
		}
		if name == "" || f.Type.Kind() != reflect.String {
			return nil, nil, fmt.Errorf("payloadcsv: %s.%s must be a string with a csv tag", rt, f.Name)
		}
		names = append(names, name)
		idx = append(idx, i)
	}
	return names, idx, nil
}

// Columns returns the header the payload was written with.
func (w *Writer[T]) Columns() []string { return append([]string(nil), w.proj.header...) }

// Next returns a zeroed row to fill. Its contents are written at the next Commit.
func (w *Writer[T]) Next() *T {
	var zero T
	w.batch[w.n] = zero
	return &w.batch[w.n]
}

// Commit adds the row filled after Next to the payload.
func (w *Writer[T]) Commit() error {
	if w.err != nil {
		return w.err
	}
	w.rows++
	if !w.gocsv {
		v := reflect.ValueOf(&w.batch[0]).Elem()
		out := w.proj.out[:0]
		for _, fi := range w.fields {
			out = append(out, v.Field(fi).String())
		}
		w.proj.out = out
		if err := w.proj.cw.Write(out); err != nil {
			w.err = fmt.Errorf("writing the payload: %w", err)
		}
		return w.err
	}
	w.n++
	if w.n == len(w.batch) {
		return w.flushBatch()
	}
	return nil
}

// Rows returns how many rows were committed.
func (w *Writer[T]) Rows() int64 { return w.rows }

func (w *Writer[T]) flushBatch() error {
	if w.n == 0 || !w.gocsv {
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
	w.proj.cw.Flush()
	if err := w.proj.cw.Error(); err != nil && w.err == nil {
		w.err = fmt.Errorf("writing the payload: %w", err)
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
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
	all    []string // T's full header as gocsv wrote it
	header []string
	out    []string
	seen   bool
}

func (p *projector) Write(row []string) error {
	if !p.seen {
		p.seen = true
		p.all = append([]string(nil), row...)
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
