//go:build unix

// (unix only: peak memory is read with getrusage, which Windows does not have.)

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
	variants := []struct {
		name string
		o    trainingcsv.Options
	}{
		{"export", trainingcsv.Options{}},                            // what bulk export runs
		{"export-gocsv", trainingcsv.Options{Gocsv: true}},           // rows written by gocsv
		{"export-sequential", trainingcsv.Options{Sequential: true}}, // transform on the pipeline's goroutine
	}
	wall := make([]time.Duration, len(variants)+1) // [0] is the copy
	cpu := make([]time.Duration, len(variants)+1)
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		n, err := Copy(in, filepath.Join(dir, "copy.csv"))
		if err != nil || n != int64(*benchRows) {
			b.Fatalf("copy: %d rows, %v", n, err)
		}
		wall[0], cpu[0] = wall[0]+time.Since(t0), cpu[0]+cpuTime()-c0
		for i, v := range variants {
			t0, c0 := time.Now(), cpuTime()
			export(b, in, filepath.Join(dir, v.name+".csv"), filepath.Join(dir, "report"), v.o)
			wall[i+1], cpu[i+1] = wall[i+1]+time.Since(t0), cpu[i+1]+cpuTime()-c0
		}
	}
	n := float64(*benchRows) * float64(b.N)
	b.ReportMetric(n/wall[0].Seconds(), "copy-rows/s")
	// CPU per row (all threads): unlike wall time, other work on a shared machine does not
	// inflate it, so it shows where a change helps even when the ratios are noisy.
	b.ReportMetric(float64(cpu[0].Nanoseconds())/n, "copy-cpu-ns/row")
	for i, v := range variants {
		b.ReportMetric(n/wall[i+1].Seconds(), v.name+"-rows/s")
		b.ReportMetric(wall[0].Seconds()/wall[i+1].Seconds(), v.name+"-ratio")
		b.ReportMetric(float64(cpu[i+1].Nanoseconds())/n, v.name+"-cpu-ns/row")
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// export runs what `bulk export training-history` runs, minus the command line, with writer
// options o.
func export(tb testing.TB, in, out, reportDir string, o trainingcsv.Options) {
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
	w, err := trainingcsv.NewWriter(f, func(i int) bool { return present[i] }, o)
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
		export(b, in, filepath.Join(dir, "out.csv"), filepath.Join(dir, "report"), trainingcsv.Options{})
	}
	b.ReportMetric(float64(*benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
