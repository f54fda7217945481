package payloadcsv

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/bulkload/bulk/pipeline"
)

// Stream is a pipeline sink that turns rows into payload rows in worker goroutines and writes
// them in input order. The pipeline calls a sink from its one in-order goroutine, which also
// runs the cross-row checks and the report; transforming there made that goroutine the export's
// bottleneck. Accept only takes a snapshot of the row (its cells are strings, which the reader
// never reuses; the slices holding them are copied), so it returns at once and the pipeline may
// reuse the row.
//
// A transform that fails on a row that passed the kind's checks is a bug (the checks and the
// transform share their parsers): the stream stops with an error naming the row, and the
// export fails rather than write a payload without it.
type Stream[T any] struct {
	w         *Writer[T]
	transform func(r *pipeline.Row, rec *T) bool
	batchSize int

	cur     *streamBatch[T]
	work    chan *streamBatch[T]
	ordered chan *streamBatch[T]
	free    chan *streamBatch[T]
	wg      sync.WaitGroup
	done    chan struct{} // closed when the writer goroutine ends
	closed  bool

	mu  sync.Mutex
	err error
}

type streamBatch[T any] struct {
	recs  []pipeline.Record
	rows  []pipeline.Row
	out   []T
	ok    []bool
	n     int
	ready chan struct{}
}

// NewStream starts workers transforming rows into w (0 = one per CPU).
func NewStream[T any](w *Writer[T], transform func(r *pipeline.Row, rec *T) bool, workers int) *Stream[T] {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const batchSize = 256
	inFlight := 2*workers + 2 // bounds memory: at most this many batches exist
	s := &Stream[T]{w: w, transform: transform, batchSize: batchSize,
		work: make(chan *streamBatch[T], inFlight), ordered: make(chan *streamBatch[T], inFlight),
		free: make(chan *streamBatch[T], inFlight), done: make(chan struct{})}
	for i := 0; i < inFlight; i++ {
		s.free <- &streamBatch[T]{recs: make([]pipeline.Record, batchSize), rows: make([]pipeline.Row, batchSize),
			out: make([]T, batchSize), ok: make([]bool, batchSize), ready: make(chan struct{}, 1)}
	}
	for i := 0; i < workers; i++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for b := range s.work {
				for i := 0; i < b.n; i++ {
					var zero T
					b.out[i] = zero
					b.ok[i] = s.transform(&b.rows[i], &b.out[i])
				}
				b.ready <- struct{}{}
			}
		}()
	}
	go s.writeLoop()
	return s
}

// writeLoop writes finished batches in the order they were accepted.
func (s *Stream[T]) writeLoop() {
	defer close(s.done)
	for b := range s.ordered {
		<-b.ready
		if s.failed() == nil {
			for i := 0; i < b.n; i++ {
				if !b.ok[i] {
					r := &b.rows[i]
					msg := "cannot be converted"
					if len(r.Problems) > 0 {
						msg = r.Problems[len(r.Problems)-1].Message
					}
					s.fail(fmt.Errorf("row %d of %s passed the checks but %s; this is a bug in bulk: please report it with the row", r.Rec.Row, r.Rec.Src.Where(), msg))
					break
				}
				*s.w.Next() = b.out[i]
				if err := s.w.Commit(); err != nil {
					s.fail(err)
					break
				}
			}
		}
		b.n = 0
		s.free <- b
	}
}

func (s *Stream[T]) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *Stream[T]) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Accept implements pipeline.Sink: it snapshots r for the workers and returns.
func (s *Stream[T]) Accept(r *pipeline.Row) error {
	if err := s.failed(); err != nil {
		return err
	}
	if s.cur == nil {
		s.cur = <-s.free
	}
	b := s.cur
	rec := &b.recs[b.n]
	rec.Src, rec.Row = r.Rec.Src, r.Rec.Row
	rec.Cells = append(rec.Cells[:0], r.Rec.Cells...)
	rec.Types = append(rec.Types[:0], r.Rec.Types...)
	rec.Problems = rec.Problems[:0]
	b.rows[b.n] = pipeline.Row{Rec: rec, Map: r.Map, Opts: r.Opts, Problems: b.rows[b.n].Problems[:0]}
	b.n++
	if b.n == s.batchSize {
		s.send()
	}
	return nil
}

func (s *Stream[T]) send() {
	b := s.cur
	s.cur = nil
	s.ordered <- b // the writer waits for the batch in this order...
	s.work <- b    // ...while any worker transforms it
}

// Close transforms and writes the rows still pending, stops the goroutines and flushes the
// payload. It must be called once, also when the run failed (then it only stops them).
func (s *Stream[T]) Close() error {
	if s.closed {
		return errors.New("payloadcsv: Stream closed twice")
	}
	s.closed = true
	if s.cur != nil && s.cur.n > 0 {
		s.send()
	}
	close(s.work)
	close(s.ordered)
	s.wg.Wait()
	<-s.done
	if err := s.failed(); err != nil {
		return err
	}
	return s.w.Close()
}

// Rows returns how many rows were written (final after Close).
func (s *Stream[T]) Rows() int64 { return s.w.Rows() }
