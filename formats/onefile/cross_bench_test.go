package onefile

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

// BenchmarkCross runs learner rows that name their assessors (and assignment rows that name
// learners) through the whole pipeline, against a bare kind with the same fields in the same run
// (field checks and duplicate detection, no cross-row checks): the difference per row is what
// the cross-row checks cost. References find users through the pipeline's duplicate index, so
// the checks keep one byte per user row (bench/run.sh measures the whole run's memory).
func BenchmarkCross(b *testing.B) {
	const rows = 100_000
	userHeader := []string{"Role", "FirstName", "LastName", "Email", "MISID", "DefaultAssessorEmail", "ClassroomName", "PlacementName"}
	staff := make([][]string, 20)
	for i := range staff {
		staff[i] = []string{"5", "Sam", "Patel", fmt.Sprintf("assessor%d@ng.example", i), "S" + strconv.Itoa(i), "", "", ""}
	}
	learners := func(assessor string) [][]string {
		out := make([][]string, rows)
		for i := range out {
			out[i] = []string{"1", "Amira", "Khan", "learner" + strconv.Itoa(i) + "@student.example", "L" + strconv.Itoa(i),
				fmt.Sprintf("%s%d@ng.example", assessor, i%20), "BA L3", "Harrow Dental"}
		}
		return out
	}
	inFile := append(append([][]string{}, staff...), learners("assessor")...)
	elsewhere := learners("elsewhere")
	assignments := make([][]string, rows)
	for i := range assignments {
		assignments[i] = []string{"L" + strconv.Itoa(i), fmt.Sprintf("assessor%d@ng.example", i%20), "3", "Business Administrator"}
	}
	sheet := func(name string, header []string, rows [][]string) *pipelinetest.Table {
		return pipelinetest.NewTable("bench.xlsx", name, header, rows...)
	}
	bare := &pipeline.Kind{Name: "bare-users", Fields: Users.Fields}
	cases := []struct {
		name   string
		among  []*pipeline.Kind
		tables func() []*pipelinetest.Table
		rows   int
	}{
		{"baseline/bare-kind", []*pipeline.Kind{bare}, func() []*pipelinetest.Table { return []*pipelinetest.Table{sheet("Users", userHeader, inFile)} }, len(inFile)},
		{"learners/assessor-in-file", []*pipeline.Kind{Users}, func() []*pipelinetest.Table { return []*pipelinetest.Table{sheet("Users", userHeader, inFile)} }, len(inFile)},
		{"learners/assessor-on-onefile", []*pipeline.Kind{Users}, func() []*pipelinetest.Table { return []*pipelinetest.Table{sheet("Users", userHeader, elsewhere)} }, rows},
		{"learners+assignments", []*pipeline.Kind{Users, Assignments}, func() []*pipelinetest.Table {
			return []*pipelinetest.Table{sheet("Users", userHeader, inFile), sheet("Assignments", []string{"LearnerMISID", "UserEmail", "Level", "StandardTitle"}, assignments)}
		}, len(inFile) + rows},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				c := &collector{rejected: map[string]bool{}}
				in := pipelinetest.NewInput(tc.tables()...)
				if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Among: tc.among, Reporter: c}); err != nil {
					b.Fatal(err)
				}
				if len(c.rejected) != 0 || c.rows != tc.rows {
					b.Fatalf("%d rows, %d rejected: %v", c.rows, len(c.rejected), briefs(c.problems[:min(3, len(c.problems))]))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tc.rows), "ns/row")
		})
	}
}
