package read_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/bench/learners"
	_ "github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// benchRows is the size of the benchmark workbook: big enough that opening costs little beside
// the rows, small enough for a short run (excelize reads some 25k rows/s on the target machine).
const benchRows = 100_000

// benchHeader is a 16-column learner sheet: the onefile-users fields and the other columns such
// exports carry (reported once as unknown columns, then ignored).
var benchHeader = []string{"Role", "FirstName", "LastName", "Email", "MISID", "ULN", "DOB",
	"Postcode", "PlacementName", "Programme", "StartDate", "DefaultAssessorEmail", "ClassroomName", "Phone", "Cohort", "Notes"}

// validULN returns the n-th (from 0) ten-digit number that passes the ULN check digit.
func validULN(n int) string {
	for base := 100000000 + n*2; ; base++ {
		s := fmt.Sprint(base)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(s[i]-'0') * (10 - i)
		}
		if r := sum % 11; r != 0 {
			return s + fmt.Sprint(10-r)
		}
	}
}

// writeBenchWorkbook writes a valid onefile-users workbook of rows rows with excelize's
// StreamWriter: inline strings for text, numbers for Role, date cells for DOB and StartDate.
func writeBenchWorkbook(tb testing.TB, path string, rows int) {
	tb.Helper()
	writeWorkbook(tb, path, rows, true)
}

// writeWorkbook writes the benchmark workbook streamed (inline strings), or in excelize's normal
// mode, which writes a shared string table as Excel and LibreOffice do.
func writeWorkbook(tb testing.TB, path string, rows int, stream bool) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	var setRow func(cell string, row []any) error
	if stream {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			tb.Fatal(err)
		}
		setRow = func(cell string, row []any) error { return sw.SetRow(cell, row) }
		defer func() {
			if err := sw.Flush(); err != nil {
				tb.Fatal(err)
			}
			if err := f.SaveAs(path); err != nil {
				tb.Fatal(err)
			}
		}()
	} else {
		setRow = func(cell string, row []any) error {
			for i, v := range row {
				c, _ := excelize.CoordinatesToCellName(i+1, rowOf(cell))
				if x, ok := v.(excelize.Cell); ok {
					if err := f.SetCellValue("Sheet1", c, x.Value); err != nil {
						return err
					}
					if x.StyleID != 0 {
						if err := f.SetCellStyle("Sheet1", c, c, x.StyleID); err != nil {
							return err
						}
					}
				} else if err := f.SetCellValue("Sheet1", c, v); err != nil {
					return err
				}
			}
			return nil
		}
		defer func() {
			if err := f.SaveAs(path); err != nil {
				tb.Fatal(err)
			}
		}()
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	hdr := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		hdr[i] = h
	}
	if err := setRow("A1", hdr); err != nil {
		tb.Fatal(err)
	}
	dob := time.Date(2006, 9, 1, 0, 0, 0, 0, time.UTC)
	row := make([]any, len(benchHeader))
	for i := 0; i < rows; i++ {
		uln := validULN(i)
		row[0] = 1
		row[1] = fmt.Sprintf("Amira%d", i)
		row[2] = "Khan"
		row[3] = fmt.Sprintf("amira.khan%d@example.ac.uk", i)
		row[4] = fmt.Sprintf("L%07d", i)
		row[5] = excelize.Cell{Value: uln} // text, as a careful MIS export writes IDs
		row[6] = excelize.Cell{StyleID: dateStyle, Value: dob.AddDate(0, 0, i%3000)}
		row[7] = "LS1 4AP"
		row[8] = "Acme Engineering Ltd"
		row[9] = "Level 3 Engineering Technician"
		row[10] = excelize.Cell{StyleID: dateStyle, Value: time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)}
		row[11] = "jo.tutor@example.ac.uk"
		row[12] = "Leeds"
		row[13] = "0113 496 0000"
		row[14] = i % 40
		row[15] = "imported from MIS"
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := setRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
}

func rowOf(cell string) int {
	_, r, _ := excelize.CellNameToCoordinates(cell)
	return r
}

var benchFiles = map[string]string{}

// benchWorkbook returns a workbook of n rows (streamed, or with shared strings), written once
// per run.
func benchWorkbook(b *testing.B, n int, stream bool) string {
	b.Helper()
	key := fmt.Sprint(n, stream)
	if p, ok := benchFiles[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "bulk-xlsx-bench")
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("learners-%d.xlsx", n))
	writeWorkbook(b, p, n, stream)
	benchFiles[key] = p
	return p
}

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

// excelizeRows is the baseline: open the workbook with excelize and iterate every row of every
// sheet with its streaming reader, taking each row's cells.
func excelizeRows(tb testing.TB, path string) int {
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, sh := range f.GetSheetList() {
		rows, err := f.Rows(sh)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			cells, err := rows.Columns()
			if err != nil {
				tb.Fatal(err)
			}
			if len(cells) > 0 {
				n++
			}
		}
		if err := rows.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	return n
}

// readAll reads every record with bulk's reader.
func readAll(tb testing.TB, path string) int {
	in, err := read.Open(path, read.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	n := 0
	var rec pipeline.Record
	for {
		t, err := in.NextTable()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		for {
			rec.Reset()
			if err := t.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				tb.Fatal(err)
			}
			n++
		}
	}
}

// validate does what 'bulk validate' does: read, check every row with the detected kind, and
// write the report.
func validate(tb testing.TB, path, reportDir string) report.Counts {
	in, err := read.Open(path, read.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	rep := report.New(reportDir, false)
	rep.AddInput(path)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Reporter: rep}); err != nil {
		tb.Fatal(err)
	}
	if err := rep.Write(); err != nil {
		tb.Fatal(err)
	}
	return rep.Counts()
}

// BenchmarkXLSX reads workbooks of two sizes with excelize's iterator, with bulk's reader, and
// through the whole of 'bulk validate', reporting rows/s and the peak live heap: flat memory
// shows as the same peak for both sizes.
func BenchmarkXLSX(b *testing.B) {
	for _, w := range []struct {
		n      int
		stream bool
	}{{benchRows / 5, true}, {benchRows, true}, {benchRows / 5, false}} {
		n := w.n
		path := benchWorkbook(b, n, w.stream)
		strs := "inline"
		if !w.stream {
			strs = "shared"
		}
		run := func(name string, f func(b *testing.B)) {
			b.Run(fmt.Sprintf("rows=%d/strings=%s/%s", n, strs, name), func(b *testing.B) {
				var peak uint64
				for b.Loop() {
					if h := peakHeap(func() { f(b) }); h > peak {
						peak = h
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		}
		run("excelize-rows", func(b *testing.B) {
			if got := excelizeRows(b, path); got != n+1 {
				b.Fatalf("excelize read %d rows", got)
			}
		})
		run("bulk-read", func(b *testing.B) {
			if got := readAll(b, path); got != n {
				b.Fatalf("read %d rows", got)
			}
		})
		dir := b.TempDir()
		run("bulk-validate", func(b *testing.B) {
			if c := validate(b, path, dir); c.Valid != int64(n) {
				b.Fatalf("counts %+v", c)
			}
		})
	}
}

// sharedRows is the size of the shared-string benchmark workbooks: excelize reads them some
// eight times slower than inline strings, so fewer rows keep a run short.
const sharedRows = benchRows / 2

var learnerFiles = map[int]string{}

// learnerWorkbook returns a workbook of n learners stored as Excel and LibreOffice store one
// (bench/learners: every text cell a shared string, about five distinct strings a learner),
// written once per run.
func learnerWorkbook(b *testing.B, n int) string {
	b.Helper()
	if p, ok := learnerFiles[n]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "bulk-xlsx-bench")
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("learners-shared-%d.xlsx", n))
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := learners.WriteXLSX(w, n, 1, learners.XLSXOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	learnerFiles[n] = p
	return p
}

// BenchmarkXLSXValidateVsExcelize times 'bulk validate' and a bare excelize iteration of the
// same workbook alternately in each iteration and reports validate's time as a multiple of
// excelize's (the target: at most 1.25), with bulk's peak live heap. The workbooks: the
// 100,000-row one with inline strings, and a 50,000-learner one with shared strings, read with
// the table in memory (its 4 MB of text is under the spill size) and with the table spilled
// to a temporary file, as a workbook with over 16 MB of shared-string text is read.
func BenchmarkXLSXValidateVsExcelize(b *testing.B) {
	for _, w := range []struct {
		name  string
		rows  int
		path  func() string
		spill bool
	}{
		{"strings=inline", benchRows, func() string { return benchWorkbook(b, benchRows, true) }, false},
		{"strings=shared", sharedRows, func() string { return learnerWorkbook(b, sharedRows) }, false},
		{"strings=shared-spilled", sharedRows, func() string { return learnerWorkbook(b, sharedRows) }, true},
	} {
		path := w.path()
		b.Run(w.name, func(b *testing.B) {
			if w.spill {
				read.SpillSharedStrings(b, 64<<10)
			}
			dir := b.TempDir()
			var base, ours time.Duration
			var peak uint64
			for b.Loop() {
				t0 := time.Now()
				excelizeRows(b, path)
				t1 := time.Now()
				var c report.Counts
				if h := peakHeap(func() { c = validate(b, path, dir) }); h > peak {
					peak = h
				}
				if c.Valid != int64(w.rows) {
					b.Fatalf("counts %+v", c)
				}
				base += t1.Sub(t0)
				ours += time.Since(t1)
			}
			b.ReportMetric(float64(ours)/float64(base), "validate/excelize")
			b.ReportMetric(float64(w.rows)*float64(b.N)/base.Seconds(), "excelize-rows/s")
			b.ReportMetric(float64(w.rows)*float64(b.N)/ours.Seconds(), "validate-rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "validate-peak-heap-MB")
		})
	}
}
