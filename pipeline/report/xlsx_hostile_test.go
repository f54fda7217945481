package report_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/read/hostile"
	"github.com/bulkload/bulk/pipeline/report"
)

// TestHostileReport runs every hostile workbook through the pipeline and the report, with
// rejects.xlsx written in memory (with comments) and streamed: a workbook the reader refuses
// stops the run with its error; any other is reported, rejects.xlsx included (a row numbered
// 10^12 once made the report allocate 24 GB, and a cell past XFD made rejects.xlsx fail as if
// the report folder were not writable), and the whole allocates a bounded amount.
func TestHostileReport(t *testing.T) {
	dir := t.TempDir()
	for _, c := range hostile.Cases() {
		path := filepath.Join(dir, c.Name+".xlsx")
		if err := c.Write(path); err != nil {
			t.Fatal(err)
		}
		for _, stream := range []bool{false, true} {
			name := c.Name + "/in-memory"
			if stream {
				name = c.Name + "/streamed"
			}
			t.Run(name, func(t *testing.T) {
				if stream {
					defer func(n int) { report.CommentLimit = n }(report.CommentLimit)
					report.CommentLimit = 0
				}
				out := t.TempDir()
				var runErr, writeErr error
				peak := bounded(t, func() { runErr, writeErr = validateHostile(out, path) })
				t.Logf("heap peak %.1f MiB; run: %v; write: %v", float64(peak)/(1<<20), runErr, writeErr)
				if peak > 128<<20 {
					t.Errorf("the heap reached %.0f MiB", float64(peak)/(1<<20))
				}
				if c.Outcome == hostile.Refused {
					if runErr == nil || !strings.Contains(runErr.Error(), c.Says) {
						t.Fatalf("run error %v, want one that says %q", runErr, c.Says)
					}
					return
				}
				if runErr != nil || writeErr != nil {
					t.Fatalf("run: %v; write: %v", runErr, writeErr)
				}
				csv, err := os.ReadFile(filepath.Join(out, "rejects.csv"))
				if err != nil || !strings.Contains(string(csv), ","+c.Rule+",error,") {
					t.Fatalf("rejects.csv has no %s error: %s %v", c.Rule, csv, err)
				}
				if c.Name == "wide-rows" {
					return // rows reaching XFD: excelize takes long to read them back
				}
				f, err := excelize.OpenFile(filepath.Join(out, "rejects.xlsx"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				rows, err := f.GetRows("Learners")
				if err != nil || len(rows) < 2 {
					t.Fatalf("rejects.xlsx rows %d, %v", len(rows), err)
				}
				if h := rows[0]; len(h) < 2 || h[len(h)-2] != read.ProblemsHeader || h[len(h)-1] != read.OriginHeader {
					t.Errorf("rejects.xlsx's last headers are %.80q, want %s, %s", h[max(len(h)-2, 0):], read.ProblemsHeader, read.OriginHeader)
				}
				if c.Name == "huge-column" && !stream {
					got := strings.Join(rows[len(rows)-1], "|")
					if !strings.Contains(got, `XFD "at XFD"`) || !strings.Contains(got, "not shown") {
						t.Errorf("huge-column: %d columns, last row %.300q...", len(rows[0]), got)
					}
				}
			})
		}
	}
}

// validateHostile runs the pipeline over path into a report in dir, as bulk validate does.
func validateHostile(dir, path string) (runErr, writeErr error) {
	in, err := read.Open(path, read.Options{})
	if err != nil {
		return err, nil
	}
	defer in.Close()
	rep := report.New(dir, false)
	rep.AddInput(path)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: learners, Reporter: rep}); err != nil {
		return err, nil
	}
	return nil, rep.Write()
}

// bounded runs f under a soft memory limit and a deadline and returns the peak of the heap's
// objects while it ran (sampled every few milliseconds). Not what it allocated in all: writing
// rejects.xlsx allocates per cell written and lets it go, in proportion to the rows rejected.
func bounded(t *testing.T, f func()) uint64 {
	t.Helper()
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
		select {
		case <-done:
			return peak
		case <-deadline:
			t.Fatal("still running after a minute")
		case <-tick.C:
		}
	}
}
