// Package kindtest runs kinds through the real pipeline for the PeopleFluent kinds' tests:
// real files read by pipeline/read, rows checked by pipeline.Run, problems collected in order.
package kindtest

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
)

// Clock is the instant the tests pin the pipeline's clock to (two-digit years, "future" rules).
var Clock = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Result is what a run reported.
type Result struct {
	Problems []pipeline.Problem
	Rows     int
	Rejected map[string]bool // "file:row" or "file[sheet]:row"
}

func rowKey(file, sheet string, row int) string {
	if sheet != "" {
		return fmt.Sprintf("%s[%s]:%d", file, sheet, row)
	}
	return fmt.Sprintf("%s:%d", file, row)
}

// RejectedRows returns the rejected rows of file, sorted.
func (r *Result) RejectedRows(file string) []int {
	var out []int
	for k := range r.Rejected {
		f, row, _ := strings.Cut(k, ":")
		if f == file {
			var n int
			fmt.Sscan(row, &n)
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// Lines renders the problems one per line, for golden files: "file:row column rule severity: message".
func (r *Result) Lines() string {
	var b strings.Builder
	for _, p := range r.Problems {
		loc := p.File
		if p.Sheet != "" {
			loc += "[" + p.Sheet + "]"
		}
		fmt.Fprintf(&b, "%s:%d %q %s %s: %s\n", loc, p.Row, p.Column, p.Rule, p.Severity, p.Message)
	}
	return b.String()
}

// Has reports whether a problem with rule on row (any file) and column col was reported.
func (r *Result) Has(row int, col, rule string) bool {
	for _, p := range r.Problems {
		if p.Row == row && p.Rule == rule && (col == "" || p.Column == col) {
			return true
		}
	}
	return false
}

type collector struct {
	mu  sync.Mutex
	res *Result
}

func (c *collector) Table(src *pipeline.Source, k *pipeline.Kind, problems []pipeline.Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Problems = append(c.res.Problems, problems...)
}

func (c *collector) Row(r *pipeline.Row, out pipeline.Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Rows++
	c.res.Problems = append(c.res.Problems, r.Problems...)
	if out == pipeline.Rejected {
		c.res.Rejected[rowKey(r.Rec.Src.File, r.Rec.Src.Sheet, r.Rec.Row)] = true
	}
}

func (c *collector) Problem(p pipeline.Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Problems = append(c.res.Problems, p)
	if p.Severity == pipeline.Error && p.Source != nil && p.Row > p.Source.HeaderRow {
		c.res.Rejected[rowKey(p.File, p.Sheet, p.Row)] = true
	}
}

// Run reads paths as kind k through the pipeline into sink (may be nil) with the clock pinned.
func Run(t testing.TB, k *pipeline.Kind, sink pipeline.Sink, paths ...string) *Result {
	t.Helper()
	restore := pipeline.SetClock(func() time.Time { return Clock })
	defer restore()
	var inputs []pipeline.Input
	for _, p := range paths {
		in, err := read.Open(p, read.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		inputs = append(inputs, in)
	}
	res := &Result{Rejected: map[string]bool{}}
	err := pipeline.Run(context.Background(), inputs, pipeline.Options{Kind: k, Sink: sink, Reporter: &collector{res: res}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	sortProblems(res.Problems)
	return res
}

// sortProblems orders problems as a report does: by file, sheet, row, then as reported.
func sortProblems(ps []pipeline.Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Sheet != b.Sheet {
			return a.Sheet < b.Sheet
		}
		return a.Row < b.Row
	})
}

// CSV writes rows (the first is the header) to a CSV file in dir and returns its path.
func CSV(t testing.TB, dir, name string, rows ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Golden compares got with the file at path, or rewrites the file when update is set.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the output (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// Row is one test row: header → value, in the order given.
type Row [][2]string

// One runs a single-row CSV (header and values from row) as kind k through the pipeline into a
// fresh sink from mk (may be nil), and returns the result and the sink.
func One[S pipeline.Sink](t testing.TB, k *pipeline.Kind, row Row, mk func() S) (*Result, S) {
	t.Helper()
	var hdr, vals []string
	for _, c := range row {
		hdr = append(hdr, c[0])
		vals = append(vals, c[1])
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(hdr)
	w.Write(vals)
	w.Flush()
	p := filepath.Join(t.TempDir(), "one.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var sink S
	var ps pipeline.Sink
	if mk != nil {
		sink = mk()
		ps = sink
	}
	return Run(t, k, ps, p), sink
}

// Rules returns the rule codes of the problems, in order, with "!" after warnings' codes.
func (r *Result) Rules() []string {
	var out []string
	for _, p := range r.Problems {
		c := p.Rule
		if p.Severity == pipeline.Warning {
			c += "!"
		}
		out = append(out, c)
	}
	return out
}

// Present returns which fields of k the headers of paths have (as `bulk export` works it out).
func Present(t testing.TB, k *pipeline.Kind, paths ...string) func(int) bool {
	t.Helper()
	has := make([]bool, len(k.Fields))
	for _, p := range paths {
		in, err := read.Open(p, read.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			tb, err := in.NextTable()
			if err != nil {
				break
			}
			m, _, _ := pipeline.MapHeader(k, tb.Source(), nil)
			for f, c := range m.Col {
				if c >= 0 {
					has[f] = true
				}
			}
		}
		in.Close()
	}
	return func(f int) bool { return has[f] }
}

// IsRejected reports whether the run rejected row of src (the shape of Builder's callbacks).
func (r *Result) IsRejected(src *pipeline.Source, row int) bool {
	return r.Rejected[rowKey(src.File, src.Sheet, row)]
}
