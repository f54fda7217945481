package onefile

import (
	"context"
	"fmt"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

// BenchmarkUsersKind runs learner rows shaped like the benchmark file through the whole
// pipeline twice in the same run: with a bare kind that has the same fields (field checks and
// duplicate detection only), and with onefile-users (plus its row rules and cross-row index).
// The ratio is what the OneFile rules cost on top of the pipeline.
func BenchmarkUsersKind(b *testing.B) {
	const n = 50_000
	header := "FirstName|LastName|Email|Role|MISID|ULN|NINO|DOB|StartOn|PlannedEndDate|DefaultAssessorID|ClassroomID|PlacementID|L12|L13|MobileNumber"
	var rows []string
	for i := 0; i < n; i++ {
		rows = append(rows, fmt.Sprintf("Amira|Khan|amira.khan.%d@learner.example|1|L%08d|%s|AB123456C|14/03/2007|01/09/2026|31/08/2028|1001|101|201|31|F|07700 900123",
			i, i, benchULN(i)))
	}
	bare := &pipeline.Kind{Name: "bare-users", Fields: Users.Fields}
	for _, k := range []*pipeline.Kind{bare, Users} {
		b.Run(k.Name, func(b *testing.B) {
			for b.Loop() {
				c := &collector{rejected: map[string]bool{}}
				in := input(tbl{sheet: "", header: header, rows: rows})
				err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: k, Reporter: c, Workers: 2})
				if err != nil || len(c.rejected) != 0 {
					b.Fatalf("%v, %d rejected: %v", err, len(c.rejected), briefs(c.problems[:min(3, len(c.problems))]))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
		})
	}
}

// benchULN makes a distinct valid ULN from i.
func benchULN(i int) string {
	for stem := 100000000 + i*7; ; stem++ {
		s := fmt.Sprint(stem)
		sum := 0
		for j := 0; j < 9; j++ {
			sum += int(s[j]-'0') * (10 - j)
		}
		if r := sum % 11; r != 0 {
			return s + fmt.Sprint(10-r)
		}
	}
}
