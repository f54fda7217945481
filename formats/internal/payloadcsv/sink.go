package payloadcsv

import (
	"io"

	"github.com/bulkload/bulk/pipeline"
)

// SinkOptions tune a Sink.
type SinkOptions struct {
	// Gocsv writes rows through gocsv in batches rather than the direct encoder; both write the
	// same bytes. It is there to measure one against the other (bench/peoplefluent).
	Gocsv bool
	// Sequential transforms each row inside Accept, on the pipeline's in-order goroutine,
	// instead of in worker goroutines (Stream). Same bytes; kept to measure.
	Sequential bool
}

// Sink is the pipeline sink that writes a kind's valid rows as a CSV payload of records T, one
// implementation for every CSV payload (trainingHistoryCsv, externalTrainingCsv).
type Sink[T any] struct {
	w         *Writer[T]
	stream    *Stream[T]
	transform func(*pipeline.Row, *T) bool
}

// NewSink writes the payload header to w with the columns of kind's fields present (by field
// index, as pipeline.Mapping.Col shows them) and the required ones, and returns the sink for the
// rows. transform fills a record from a valid row, or reports on the row and returns false.
// Close it at the end, also when the run failed.
func NewSink[T any](w io.Writer, kind *pipeline.Kind, present func(field int) bool, transform func(*pipeline.Row, *T) bool, o SinkOptions) (*Sink[T], error) {
	names := map[string]bool{}
	for f := range kind.Fields {
		if present == nil || present(f) || kind.Fields[f].Required {
			names[kind.Fields[f].Name] = true
		}
	}
	pw, err := NewWriter[T](w, func(h string) bool { return names[h] }, Options{Gocsv: o.Gocsv})
	if err != nil {
		return nil, err
	}
	out := &Sink[T]{w: pw, transform: transform}
	if !o.Sequential {
		out.stream = NewStream(pw, transform, 0)
	}
	return out, nil
}

// Accept implements pipeline.Sink. The row is copied or transformed at once: the pipeline
// reuses it.
func (s *Sink[T]) Accept(r *pipeline.Row) error {
	if s.stream != nil {
		return s.stream.Accept(r)
	}
	rec := s.w.Next()
	if !s.transform(r, rec) {
		return nil // reported on the row, which the pipeline then counts as rejected
	}
	return s.w.Commit()
}

// Close writes what is pending and flushes.
func (s *Sink[T]) Close() error {
	if s.stream != nil {
		return s.stream.Close()
	}
	return s.w.Close()
}

// Rows returns how many rows the payload holds (final after Close).
func (s *Sink[T]) Rows() int64 { return s.w.Rows() }

// Columns returns the payload's header.
func (s *Sink[T]) Columns() []string { return s.w.Columns() }
