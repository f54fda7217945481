package pipeline_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/bench/learners"
	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// The speed targets are ratios to a bare encoding/csv read of the same file measured in the same
// binary, so they hold on any machine: run
//
//	go test -run '^$' -bench . -benchtime 3x ./pipeline/
//
// and read rows/s and ratio. -bench.rows sets the size (bench/run.sh measures the 1M-row file
// with the built binary and its peak memory).
var benchRows = flag.Int("bench.rows", 200000, "data rows in the benchmark's learner file")

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// learnerFile writes the benchmark's file once per test binary, in the system's temp folder.
func learnerFile(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("bulk-bench-learners-%d.csv", *benchRows))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		f, err := os.Create(benchPath + ".tmp")
		if err != nil {
			benchErr = err
			return
		}
		if err = learners.Write(f, *benchRows, 1); err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Rename(benchPath+".tmp", benchPath)
		}
		benchErr = err
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// plainRead is the baseline the target is set on: encoding/csv with its defaults, reading every
// record and nothing else (csv.NewReader(file), as anyone writes it first).
func plainRead(b *testing.B, path string) int64 {
	return csvRead(b, path, func(f *os.File) *csv.Reader { return csv.NewReader(f) })
}

// bareRead is the stricter baseline: encoding/csv tuned (ReuseRecord, a 256 KiB buffer), reading
// every record and nothing else.
func bareRead(b *testing.B, path string) int64 {
	return csvRead(b, path, func(f *os.File) *csv.Reader {
		r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		return r
	})
}

// csvRead reads every record of path with the reader mk makes, and returns the data rows.
func csvRead(b *testing.B, path string, mk func(*os.File) *csv.Reader) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := mk(f)
	var n int64 = -1 // the header is not a row
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// readOnly is bulk's CSV reader alone: detection pre-pass, decoding, parsing, records.
func readOnly(b *testing.B, path string) int64 {
	in, err := read.Open(path, read.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	t, err := in.NextTable()
	if err != nil {
		b.Fatal(err)
	}
	var rec pipeline.Record
	var n int64
	for {
		rec.Reset()
		if err := t.Next(&rec); errors.Is(err, io.EOF) {
			return n
		} else if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// validate is what `bulk validate --kind onefile-users` does, less writing the report files.
func validate(b *testing.B, path string) int64 {
	in, err := read.Open(path, read.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	rep := report.New(b.TempDir(), false)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Reporter: rep}); err != nil {
		b.Fatal(err)
	}
	c := rep.Counts()
	if c.Rejected != 0 || c.Read != int64(*benchRows) {
		b.Fatalf("the benchmark file should be valid: %+v", c)
	}
	return c.Read
}

func benchRowsPerSec(b *testing.B, run func(*testing.B, string) int64) {
	path := learnerFile(b)
	var rows int64
	b.ResetTimer()
	for b.Loop() {
		rows += run(b, path)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkEncodingCSV(b *testing.B)      { benchRowsPerSec(b, bareRead) }
func BenchmarkEncodingCSVPlain(b *testing.B) { benchRowsPerSec(b, plainRead) }
func BenchmarkReadCSV(b *testing.B)          { benchRowsPerSec(b, readOnly) }
func BenchmarkValidate(b *testing.B)         { benchRowsPerSec(b, validate) }

// BenchmarkValidateVsEncodingCSV alternates the baselines and the whole validation on the same
// file, so all see the same machine load, and reports the ratio the target is set on (≥ 0.6, to
// encoding/csv with its defaults: ratio-defaults) and the ratio to the tuned read (ratio-tuned).
func BenchmarkValidateVsEncodingCSV(b *testing.B) {
	path := learnerFile(b)
	var plain, bare, bulk, bareCPU, bulkCPU time.Duration
	var rows int64
	b.ResetTimer()
	for b.Loop() {
		tp := time.Now()
		plainRead(b, path)
		c0, t0 := cpuTime(), time.Now()
		n := bareRead(b, path)
		c1, t1 := cpuTime(), time.Now()
		validate(b, path)
		plain += t0.Sub(tp)
		bare += t1.Sub(t0)
		bulk += time.Since(t1)
		bareCPU += c1 - c0
		bulkCPU += cpuTime() - c1
		rows += n
	}
	b.ReportMetric(float64(rows)/plain.Seconds(), "csv-rows/s")
	b.ReportMetric(float64(rows)/bulk.Seconds(), "bulk-rows/s")
	b.ReportMetric(plain.Seconds()/bulk.Seconds(), "ratio-defaults")
	b.ReportMetric(bare.Seconds()/bulk.Seconds(), "ratio-tuned")
	// CPU time varies less than wall time on a shared machine: bulk's CPU per row over the
	// baseline's says how much work is left to take out, whatever the load.
	if bareCPU > 0 {
		b.ReportMetric(bulkCPU.Seconds()/bareCPU.Seconds(), "cpu-x")
	}
}

// BenchmarkCheckRowHot is the row checks alone on one learner row kept in cache: the compute per
// row, without reading, memory traffic between cores or the sequencer. Compare two versions of
// the checks with it (ns/op); the pipeline benchmarks above say what the whole costs.
func BenchmarkCheckRowHot(b *testing.B) {
	hdr := strings.Split("FirstName,LastName,Email,Role,MISID,ULN,NINO,DOB,StartOn,PlannedEndDate,DefaultAssessorID,ClassroomID,PlacementID,L12,L13,MobileNumber", ",")
	cells := strings.Split("Maya,Wilson,maya.wilson.1@learners.example-college.ac.uk,1,L00000001,1000000000,RG955885B,28/02/1976,06/05/2026,03/12/2027,100032,20212,304144,40,F,07700 937113", ",")
	src := &pipeline.Source{File: "a.csv", Header: hdr, HeaderRow: 1}
	m, _, _ := pipeline.MapHeader(onefile.Users, src, nil)
	var present []int
	for f, c := range m.Col {
		if c >= 0 {
			present = append(present, f)
		}
	}
	rec := &pipeline.Record{Src: src, Row: 2, Cells: cells}
	var r pipeline.Row
	for i := 0; b.Loop(); i++ {
		rec.Row = 2 + i // a new row each time: the date cache must not carry over
		pipeline.ResetRowForBench(&r, rec, m)
		pipeline.CheckRowForBench(&r, present)
		if r.HasErrors() {
			b.Fatal(r.Problems)
		}
	}
}
