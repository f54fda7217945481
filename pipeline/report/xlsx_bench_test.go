package report_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// peakHeap runs f while sampling the live heap every few milliseconds and returns the most seen.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var max uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > max {
				max = v
			}
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	return <-peak
}

// BenchmarkRejectsXLSX times writing rejects.xlsx when every row of a 10-column CSV is rejected,
// in memory with comments and streamed without, and reports the peak live heap: the numbers
// behind CommentLimit.
func BenchmarkRejectsXLSX(b *testing.B) {
	benchRejectRows := []int{2_000, 10_000}
	for _, n := range benchRejectRows {
		dir := b.TempDir()
		p := filepath.Join(dir, "learners.csv")
		var sb strings.Builder
		sb.WriteString("Role,FirstName,LastName,Email,MISID,ULN,DOB,Postcode,Employer,Notes\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "1,Amira%d,Khan,amira.khan%d@example,L%06d,,14/03/2007,LS1 4AP,Acme Ltd,imported\n", i, i, i)
		}
		if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		rep := runWith(b, filepath.Join(dir, "report"), p, read.Options{})
		if c := rep.Counts(); c.Rejected != int64(n) {
			b.Fatalf("counts %+v", c)
		}
		for _, mode := range []struct {
			name  string
			limit int
		}{{"comments", 10 * n}, {"stream", 0}} {
			b.Run(fmt.Sprintf("rows=%d/%s", n, mode.name), func(b *testing.B) {
				old := report.CommentLimit
				report.CommentLimit = mode.limit
				defer func() { report.CommentLimit = old }()
				var peak uint64
				for b.Loop() {
					if h := peakHeap(func() {
						if err := rep.Write(); err != nil {
							b.Fatal(err)
						}
					}); h > peak {
						peak = h
					}
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
