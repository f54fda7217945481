package learners

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// TestXLSXHoldsTheCSVRows: the workbook holds the rows Write writes, cell for cell (dates as
// date cells, read back as yyyy-mm-dd), every one valid, and its shared string table has one
// entry per distinct text.
func TestXLSXHoldsTheCSVRows(t *testing.T) {
	const rows = 3000
	dir := t.TempDir()
	var csvBuf, xlsxBuf bytes.Buffer
	if err := Write(&csvBuf, rows, 3); err != nil {
		t.Fatal(err)
	}
	st, err := WriteXLSX(&xlsxBuf, rows, 3, XLSXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csvPath, xlsxPath := filepath.Join(dir, "l.csv"), filepath.Join(dir, "l.xlsx")
	for p, b := range map[string][]byte{csvPath: csvBuf.Bytes(), xlsxPath: xlsxBuf.Bytes()} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 13 text columns (all but Role and the three dates), the header's 16 cells.
	if st.Cells != rows*12+16 || st.Strings < rows*4 || st.Strings > st.Cells {
		t.Errorf("stats %+v", st)
	}

	want, got := records(t, csvPath), records(t, xlsxPath)
	if len(got) != rows || len(want) != rows {
		t.Fatalf("%d rows in the workbook, %d in the CSV", len(got), len(want))
	}
	for i := range want {
		for j, v := range want[i].Cells {
			switch Header[j] {
			case "DOB", "StartOn", "PlannedEndDate":
				d, err := time.Parse("02/01/2006", v)
				if err != nil {
					t.Fatal(err)
				}
				v = d.Format("2006-01-02")
				if got[i].Types[j] != pipeline.CellDate {
					t.Fatalf("row %d %s: not a date cell", got[i].Row, Header[j])
				}
			}
			if got[i].Cells[j] != v {
				t.Fatalf("row %d %s: %q in the workbook, %q in the CSV", got[i].Row, Header[j], got[i].Cells[j], v)
			}
		}
	}

	in, err := read.Open(xlsxPath, read.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rep := report.New(t.TempDir(), false)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	if c := rep.Counts(); c.Read != rows || c.Rejected != 0 || c.Warnings != 0 {
		t.Fatalf("counts %+v; problems %+v", c, rep.Problems()[:min(5, len(rep.Problems()))])
	}
}

func records(t *testing.T, path string) []pipeline.Record {
	t.Helper()
	in, err := read.Open(path, read.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	tb, err := in.NextTable()
	if err != nil {
		t.Fatal(err)
	}
	var out []pipeline.Record
	for {
		var rec pipeline.Record
		if err := tb.Next(&rec); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}
