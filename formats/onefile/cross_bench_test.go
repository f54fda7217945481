package onefile

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
)

// The cross-row index must stay small per row (the 1M-row validate target is 100 MB of RSS for
// everything). These benchmarks feed rows straight into the cross checkers and report the heap
// the run's state keeps, per row, alongside the time per row.

func feed(b *testing.B, cr pipeline.Cross, k *pipeline.Kind, header []string, index int, rows int, cells func(i int, c []string)) {
	b.Helper()
	src := &pipeline.Source{Index: index, File: "bench.csv", Header: header, HeaderRow: 1}
	m, _, _ := pipeline.MapHeader(k, src, nil)
	rec := &pipeline.Record{Src: src, Cells: make([]string, len(header))}
	r := &pipeline.Row{Rec: rec, Map: m}
	for i := 0; i < rows; i++ {
		rec.Row = i + 2
		cells(i, rec.Cells)
		r.Problems = r.Problems[:0]
		cr.Check(r)
	}
}

func heapNow() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func benchCross(b *testing.B, rows int, fill func(pp *people) []pipeline.Cross) {
	var kept uint64
	var gc time.Duration
	for b.Loop() {
		t0 := time.Now()
		before := heapNow()
		gc += time.Since(t0)
		st := newPeople()
		crs := fill(st)
		t0 = time.Now()
		after := heapNow()
		gc += time.Since(t0)
		if after > before {
			kept = after - before
		}
		for _, cr := range crs {
			cr.Finish(func(pipeline.Problem) {})
		}
		runtime.KeepAlive(st)
	}
	b.ReportMetric(float64(kept)/float64(rows), "heapB/row")
	b.ReportMetric(float64((b.Elapsed()-gc).Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
}

var benchUserHeader = []string{"Role", "FirstName", "LastName", "Email", "MISID", "DefaultAssessorEmail", "ClassroomName", "PlacementName"}

func staffRows(pp *people, b *testing.B) pipeline.Cross {
	cr := &usersCross{pp}
	feed(b, cr, Users, benchUserHeader, 0, 20, func(i int, c []string) {
		c[0], c[1], c[2], c[3], c[4] = "5", "Sam", "Patel", "assessor"+strconv.Itoa(i)+"@ng.example", "S"+strconv.Itoa(i)
	})
	return cr
}

// Cell values are made before the clock starts, so the time is the checkers' alone.
var (
	benchEmails, benchMISIDs []string
	benchAssessors           = func() (a [20]string) {
		for i := range a {
			a[i] = fmt.Sprintf("assessor%d@ng.example", i)
		}
		return
	}()
	benchElsewhere = func() (a [20]string) {
		for i := range a {
			a[i] = fmt.Sprintf("elsewhere%d@ng.example", i)
		}
		return
	}()
)

func benchKeys(n int) {
	for i := len(benchEmails); i < n; i++ {
		benchEmails = append(benchEmails, "learner"+strconv.Itoa(i)+"@student.example")
		benchMISIDs = append(benchMISIDs, "L"+strconv.Itoa(i))
	}
}

func learnerCells(assessors *[20]string) func(i int, c []string) {
	return func(i int, c []string) {
		c[0], c[1], c[2] = "1", "Amira", "Khan"
		c[3], c[4], c[5] = benchEmails[i], benchMISIDs[i], assessors[i%20]
		c[6], c[7] = "BA L3", "Harrow Dental"
	}
}

func BenchmarkCrossMemory(b *testing.B) {
	const rows = 200_000
	benchKeys(rows)
	// The baseline is what the pipeline's duplicate check already does for two unique fields
	// of each row (a fingerprint map): the checkers' cost is read against it, in the same run.
	b.Run("baseline/two-unique-fields", func(b *testing.B) {
		benchCross(b, rows, func(pp *people) []pipeline.Cross {
			u := &baselineUniques{seed: pp.seed, seen: map[uint64]uint64{}}
			for i := 0; i < rows; i++ {
				u.check("Email", benchEmails[i], i)
				u.check("MISID", benchMISIDs[i], i)
			}
			return []pipeline.Cross{u}
		})
	})
	b.Run("learners/assessor-in-file", func(b *testing.B) {
		benchCross(b, rows, func(pp *people) []pipeline.Cross {
			cr := staffRows(pp, b)
			feed(b, cr, Users, benchUserHeader, 1, rows, learnerCells(&benchAssessors))
			return []pipeline.Cross{cr}
		})
	})
	b.Run("learners/assessor-on-onefile", func(b *testing.B) {
		benchCross(b, rows, func(pp *people) []pipeline.Cross {
			cr := &usersCross{pp}
			feed(b, cr, Users, benchUserHeader, 0, rows, learnerCells(&benchElsewhere))
			return []pipeline.Cross{cr}
		})
	})
	b.Run("learners+assignments", func(b *testing.B) {
		benchCross(b, 2*rows, func(pp *people) []pipeline.Cross {
			ucr := staffRows(pp, b)
			feed(b, ucr, Users, benchUserHeader, 1, rows, learnerCells(&benchAssessors))
			acr := assignmentsFor(pp)
			feed(b, acr, Assignments, []string{"LearnerMISID", "UserEmail", "Level", "StandardTitle"}, 2, rows, func(i int, c []string) {
				c[0], c[1], c[2], c[3] = benchMISIDs[i], benchAssessors[i%20], "3", "Business Administrator"
			})
			return []pipeline.Cross{ucr, acr}
		})
	})
}

// baselineUniques does per value what pipeline's duplicate check does (run.go, uniques.check).
type baselineUniques struct {
	seed maphash.Seed
	seen map[uint64]uint64
}

func (u *baselineUniques) check(field, v string, row int) {
	var h maphash.Hash
	h.SetSeed(u.seed)
	h.WriteString("onefile-users")
	h.WriteByte(0)
	h.WriteString(field)
	h.WriteByte(0)
	h.WriteString(strings.ToLower(v))
	fp := h.Sum64()
	if _, dup := u.seen[fp]; !dup {
		u.seen[fp] = uint64(row)
	}
}

func (u *baselineUniques) Check(*pipeline.Row)           {}
func (u *baselineUniques) Finish(func(pipeline.Problem)) {}
