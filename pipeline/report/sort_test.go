package report

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
)

// TestSortProblems compares sortProblems with the plain definition of the order (file, sheet,
// row, then the column's first position in the header, a column not in it last, no column
// first; stable), on shuffled problems with repeated headers and rows.
func TestSortProblems(t *testing.T) {
	a := &pipeline.Source{File: "a.csv", Header: []string{"Email", "Name", "Email", "Role"}}
	b := &pipeline.Source{File: "b.xlsx", Sheet: "S", Header: []string{"Role", "Name"}}
	cols := []string{"", "Email", "Name", "Role", "Missing"}
	r := rand.New(rand.NewPCG(1, 2))
	var ps []pipeline.Problem
	for i := range 2000 {
		src := a
		if r.IntN(2) == 0 {
			src = b
		}
		ps = append(ps, pipeline.Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: 1 + r.IntN(30),
			Column: cols[r.IntN(len(cols))], Message: fmt.Sprint(i)})
	}
	ps = append(ps, pipeline.Problem{File: "a.csv", Row: 3, Message: "no source"})
	pos := func(p *pipeline.Problem) int {
		if p.Source == nil || p.Column == "" {
			return -1
		}
		for i, h := range p.Source.Header {
			if h == p.Column {
				return i
			}
		}
		return len(p.Source.Header)
	}
	want := append([]pipeline.Problem(nil), ps...)
	sort.SliceStable(want, func(i, j int) bool {
		x, y := &want[i], &want[j]
		if x.File != y.File {
			return x.File < y.File
		}
		if x.Sheet != y.Sheet {
			return x.Sheet < y.Sheet
		}
		if x.Row != y.Row {
			return x.Row < y.Row
		}
		return pos(x) < pos(y)
	})
	sortProblems(ps)
	if !reflect.DeepEqual(ps, want) {
		for i := range ps {
			if !reflect.DeepEqual(ps[i], want[i]) {
				t.Fatalf("problem %d: got %+v, want %+v", i, ps[i], want[i])
			}
		}
	}
}

// TestSortProblemsWideHeader: the problems of a header of 16,384 unknown columns (one each, as a
// CSV as wide as a spreadsheet gives) sort in well under a second; searching the header at each
// comparison took minutes for 100,000 columns.
func TestSortProblemsWideHeader(t *testing.T) {
	src := &pipeline.Source{File: "wide.csv", HeaderRow: 1}
	for i := range 16384 {
		src.Header = append(src.Header, fmt.Sprint("X", i))
	}
	var ps []pipeline.Problem
	for i := len(src.Header) - 1; i >= 0; i-- {
		ps = append(ps, pipeline.Problem{Source: src, File: src.File, Row: 1, Column: src.Header[i]})
	}
	start := time.Now()
	sortProblems(ps)
	took := time.Since(start)
	for i := range ps {
		if ps[i].Column != src.Header[i] {
			t.Fatalf("problem %d is on column %s", i, ps[i].Column)
		}
	}
	if took > 2*time.Second {
		t.Errorf("sorting %d problems took %v", len(ps), took)
	}
}
