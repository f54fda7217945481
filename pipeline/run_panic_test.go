package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

// panicTable panics in Next after n rows, as a reader with a bug would.
type panicTable struct {
	*pipelinetest.Table
	n int
}

func (t *panicTable) Next(rec *pipeline.Record) error {
	if t.n == 0 {
		panic("reader bug")
	}
	t.n--
	return t.Table.Next(rec)
}

type panicInput struct{ t pipeline.Table }

func (in *panicInput) NextTable() (pipeline.Table, error) {
	if in.t == nil {
		return nil, io.EOF
	}
	t := in.t
	in.t = nil
	return t, nil
}

func (in *panicInput) Close() error { return nil }

type panicSink struct{ after int }

func (s *panicSink) Accept(r *pipeline.Row) error {
	if s.after == 0 {
		var m map[string]int
		m["x"]++ // a nil map: a runtime error, as a real bug would be
	}
	s.after--
	return nil
}

// TestRunRecoversPanics: a panic in the reader, in a row rule (on a worker) or in the sink (on
// the sequencer) ends Run with a *PanicError naming where, with the stack of the panic, for any
// number of workers; the other goroutines stop instead of waiting for each other for ever.
func TestRunRecoversPanics(t *testing.T) {
	header := []string{"Key", "Age"}
	var rows [][]string
	for i := range 3000 {
		rows = append(rows, []string{fmt.Sprint("k", i), "30"})
	}
	bomb := &pipeline.Kind{Name: "test-bomb", Fields: []pipeline.Field{{Name: "Key", Required: true}, {Name: "Age"}},
		RowRules: []func(r *pipeline.Row){func(r *pipeline.Row) {
			if r.Value(0) == "k1700" {
				panic("rule bug")
			}
		}}}
	calm := &pipeline.Kind{Name: "test-calm", Fields: bomb.Fields}
	tests := []struct {
		name  string
		kind  *pipeline.Kind
		input func() pipeline.Input
		sink  pipeline.Sink
		where string
		frame string // a function the stack must show
	}{
		{"row rule", bomb, func() pipeline.Input { return pipelinetest.CSV("a.csv", header, rows...) }, nil, "checking rows", "TestRunRecoversPanics.func1"},
		{"reader", calm, func() pipeline.Input {
			return &panicInput{&panicTable{pipelinetest.NewTable("a.csv", "", header, rows...), 1300}}
		}, nil, "reading", "panicTable"},
		{"sink", calm, func() pipeline.Input { return pipelinetest.CSV("a.csv", header, rows...) }, &panicSink{after: 2100}, "in-order checks", "panicSink"},
	}
	for _, tc := range tests {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/%d workers", tc.name, workers), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				errc := make(chan error, 1)
				go func() {
					errc <- pipeline.Run(ctx, []pipeline.Input{tc.input()}, pipeline.Options{Kind: tc.kind, Workers: workers, BatchSize: 64, Sink: tc.sink})
				}()
				var err error
				select {
				case err = <-errc:
				case <-time.After(10 * time.Second):
					t.Fatal("Run did not return after a panic: its goroutines wait for each other")
				}
				var pe *pipeline.PanicError
				if !errors.As(err, &pe) {
					t.Fatalf("Run returned %v, want a *PanicError", err)
				}
				if pe.Where != tc.where {
					t.Errorf("Where = %q, want %q", pe.Where, tc.where)
				}
				if !strings.Contains(string(pe.Stack), tc.frame) {
					t.Errorf("the stack does not show %s:\n%s", tc.frame, pe.Stack)
				}
				if strings.Contains(err.Error(), "bug") || strings.Contains(err.Error(), "nil map") {
					t.Errorf("the error's message %q shows the panic's value; it belongs in the crash file only", err)
				}
			})
		}
	}
}
