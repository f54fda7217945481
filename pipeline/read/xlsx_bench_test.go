package read_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

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
	"Postcode", "Employer", "Programme", "StartDate", "Tutor", "Campus", "Phone", "Cohort", "Notes"}

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
// StreamWriter: shared strings for text, numbers for Role and ULN, date cells for DOB.
func writeBenchWorkbook(tb testing.TB, path string, rows int) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	hdr := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		hdr[i] = h
	}
	if err := sw.SetRow("A1", hdr); err != nil {
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
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
}

var benchFile string

func benchWorkbook(b *testing.B) string {
	b.Helper()
	if benchFile == "" {
		dir, err := os.MkdirTemp("", "bulk-xlsx-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchFile = filepath.Join(dir, "learners.xlsx")
		writeBenchWorkbook(b, benchFile, benchRows)
	}
	return benchFile
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

func BenchmarkXLSX(b *testing.B) {
	path := benchWorkbook(b)
	b.Run("excelize-rows", func(b *testing.B) {
		for b.Loop() {
			if n := excelizeRows(b, path); n != benchRows+1 {
				b.Fatalf("excelize read %d rows", n)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("bulk-read", func(b *testing.B) {
		for b.Loop() {
			if n := readAll(b, path); n != benchRows {
				b.Fatalf("read %d rows", n)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("bulk-validate", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			if c := validate(b, path, dir); c.Valid != benchRows {
				b.Fatalf("counts %+v", c)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkXLSXValidateVsExcelize times 'bulk validate' and a bare excelize iteration of the
// same workbook alternately in each iteration and reports validate's time as a multiple of
// excelize's (the target: at most 1.25).
func BenchmarkXLSXValidateVsExcelize(b *testing.B) {
	path := benchWorkbook(b)
	dir := b.TempDir()
	var base, ours time.Duration
	for b.Loop() {
		t0 := time.Now()
		excelizeRows(b, path)
		t1 := time.Now()
		if c := validate(b, path, dir); c.Valid != benchRows {
			b.Fatalf("counts %+v", c)
		}
		base += t1.Sub(t0)
		ours += time.Since(t1)
	}
	b.ReportMetric(float64(ours)/float64(base), "validate/excelize")
	b.ReportMetric(float64(benchRows)*float64(b.N)/base.Seconds(), "excelize-rows/s")
	b.ReportMetric(float64(benchRows)*float64(b.N)/ours.Seconds(), "validate-rows/s")
}
