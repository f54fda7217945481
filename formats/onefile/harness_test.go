package onefile

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

// The tests run rows through the real pipeline (field checks, row rules, duplicates, cross
// rules) from in-memory tables, and look at what a reporter receives.

// testNow pins the clock: today is 15 June 2026 in every test.
var testNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// tbl is a sheet: a name, a header and rows, cells separated by '|'.
type tbl struct {
	sheet  string
	header string
	rows   []string
}

func split(s string) []string { return strings.Split(s, "|") }

func input(tables ...tbl) *pipelinetest.Input {
	in := pipelinetest.NewInput()
	for _, t := range tables {
		mt := pipelinetest.NewTable("term.xlsx", t.sheet, split(t.header))
		for _, r := range t.rows {
			mt.Rows = append(mt.Rows, split(r))
		}
		in.Tables = append(in.Tables, mt)
	}
	return in
}

// collector is a pipeline.Reporter that keeps everything.
type collector struct {
	problems []pipeline.Problem
	rows     int
	rejected map[string]bool // "sheet:row"
}

func (c *collector) Table(src *pipeline.Source, k *pipeline.Kind, ps []pipeline.Problem) {
	c.problems = append(c.problems, ps...)
}

func (c *collector) Row(r *pipeline.Row, out pipeline.Outcome) {
	c.rows++
	c.problems = append(c.problems, r.Problems...)
	if out == pipeline.Rejected {
		c.rejected[fmt.Sprintf("%s:%d", r.Rec.Src.Sheet, r.Rec.Row)] = true
	}
}

func (c *collector) Problem(p pipeline.Problem) {
	c.problems = append(c.problems, p)
	if p.Severity == pipeline.Error {
		c.rejected[fmt.Sprintf("%s:%d", p.Sheet, p.Row)] = true
	}
}

// sinkFunc adapts a function to pipeline.Sink.
type sinkFunc func(r *pipeline.Row) error

func (f sinkFunc) Accept(r *pipeline.Row) error { return f(r) }

// run validates the tables; kinds are detected unless kind is given.
func run(t *testing.T, kind *pipeline.Kind, sink pipeline.Sink, tables ...tbl) *collector {
	t.Helper()
	defer pipeline.SetClock(func() time.Time { return testNow })()
	c := &collector{rejected: map[string]bool{}}
	opts := pipeline.Options{Kind: kind, Among: []*pipeline.Kind{Users, Assignments}, Reporter: c, Sink: sink, Workers: 2, BatchSize: 3}
	if err := pipeline.Run(context.Background(), []pipeline.Input{input(tables...)}, opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c
}

// brief writes a problem as "Sheet:row:column:rule:severity".
func brief(p pipeline.Problem) string {
	return fmt.Sprintf("%s:%d:%s:%s:%s", p.Sheet, p.Row, p.Column, p.Rule, p.Severity)
}

func briefs(ps []pipeline.Problem) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, brief(p))
	}
	sort.Strings(out)
	return out
}

// expect compares the problems of a run with want (brief forms, any order) and checks that each
// message fragment appears in some message.
func expect(t *testing.T, c *collector, want []string, fragments ...string) {
	t.Helper()
	got := briefs(c.problems)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Errorf("problems:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(w, "\n       "))
		for _, p := range c.problems {
			t.Logf("  %s  %s", brief(p), p.Message)
		}
	}
	for _, f := range fragments {
		found := false
		for _, p := range c.problems {
			if strings.Contains(p.Message, f) {
				found = true
			}
		}
		if !found {
			t.Errorf("no message contains %q", f)
			for _, p := range c.problems {
				t.Logf("  %s  %s", brief(p), p.Message)
			}
		}
	}
}
