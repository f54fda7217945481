package pfbench

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/trainingcsv"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

var benchRows = flag.Int("rows", 200_000, "data rows in the generated training-history input")

// BenchmarkExportTrainingHistory measures, in the same run and on the same file, the bare
// encoding/csv copy and the full export (read, header mapping, row checks, transform, gocsv
// payload writer, report), and reports both rates and their ratio. The project's bar is
// ratio ≥ 0.5.
func BenchmarkExportTrainingHistory(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := WriteTrainingHistory(in, *benchRows); err != nil {
		b.Fatal(err)
	}
	var base, direct, viaGocsv, baseCPU, directCPU, gocsvCPU time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		n, err := Copy(in, filepath.Join(dir, "copy.csv"))
		if err != nil || n != int64(*benchRows) {
			b.Fatalf("copy: %d rows, %v", n, err)
		}
		t1, c1 := time.Now(), cpuTime()
		export(b, in, filepath.Join(dir, "out.csv"), filepath.Join(dir, "report"), false)
		t2, c2 := time.Now(), cpuTime()
		export(b, in, filepath.Join(dir, "out-gocsv.csv"), filepath.Join(dir, "report"), true)
		t3, c3 := time.Now(), cpuTime()
		base, baseCPU = base+t1.Sub(t0), baseCPU+c1-c0
		direct, directCPU = direct+t2.Sub(t1), directCPU+c2-c1
		viaGocsv, gocsvCPU = viaGocsv+t3.Sub(t2), gocsvCPU+c3-c2
	}
	n := float64(*benchRows) * float64(b.N)
	b.ReportMetric(n/base.Seconds(), "copy-rows/s")
	b.ReportMetric(n/direct.Seconds(), "export-rows/s")
	b.ReportMetric(n/viaGocsv.Seconds(), "export-gocsv-rows/s")
	b.ReportMetric(base.Seconds()/direct.Seconds(), "ratio")
	b.ReportMetric(base.Seconds()/viaGocsv.Seconds(), "ratio-gocsv")
	// CPU per row (all threads): unlike wall time, other work on a shared machine does not
	// inflate it, so it shows where a change helps even when the ratios are noisy.
	b.ReportMetric(float64(baseCPU.Nanoseconds())/n, "copy-cpu-ns/row")
	b.ReportMetric(float64(directCPU.Nanoseconds())/n, "export-cpu-ns/row")
	b.ReportMetric(float64(gocsvCPU.Nanoseconds())/n, "export-gocsv-cpu-ns/row")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// export runs what `bulk export training-history` runs, minus the command line.
// The payload is written by the direct encoder, or by gocsv when gocsv is set.
func export(tb testing.TB, in, out, reportDir string, gocsv bool) {
	tb.Helper()
	input, err := read.Open(in, read.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer input.Close()
	f, err := os.Create(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	present := map[int]bool{}
	for _, h := range TrainingHeader {
		present[trainingcsv.Kind.Lookup(h)] = true
	}
	w, err := trainingcsv.NewWriter(f, func(i int) bool { return present[i] }, trainingcsv.Options{Gocsv: gocsv})
	if err != nil {
		tb.Fatal(err)
	}
	rep := report.New(reportDir, false)
	if err := pipeline.Run(context.Background(), []pipeline.Input{input}, pipeline.Options{Kind: trainingcsv.Kind, Sink: w, Reporter: rep}); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if c := rep.Counts(); c.Rejected != 0 {
		tb.Fatalf("%d generated rows rejected: %v", c.Rejected, rep.Problems()[0])
	}
	if w.Rows() != int64(*benchRows) {
		tb.Fatalf("export wrote %d rows of %d", w.Rows(), *benchRows)
	}
}

// BenchmarkExportOnly runs the direct export alone, for profiling.
func BenchmarkExportOnly(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := WriteTrainingHistory(in, *benchRows); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		export(b, in, filepath.Join(dir, "out.csv"), filepath.Join(dir, "report"), false)
	}
	b.ReportMetric(float64(*benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
