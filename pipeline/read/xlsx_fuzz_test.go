package read

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

// FuzzNumberText: whatever a number cell holds, bulk's text for it is the same number (to the
// 15 digits a spreadsheet keeps) and never in scientific notation.
func FuzzNumberText(f *testing.F) {
	for _, s := range []string{"1000000043", "1.000000043E9", "0.30000000000000004", "1.2E-005", "-0", "1e308", "5e-324", "12.50"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return
		}
		got := numberText(s)
		if strings.ContainsAny(got, "eEInfNa") {
			t.Fatalf("numberText(%q) = %q", s, got)
		}
		w, err := strconv.ParseFloat(got, 64)
		if err != nil || math.Abs(w-v) > 1e-14*math.Abs(v) {
			t.Fatalf("numberText(%q) = %q, a different number", s, got)
		}
	})
}

// FuzzSheet feeds arbitrary worksheet XML to the reader: it returns rows or an error, never
// panics or loops, and allocates in proportion to the sheet's size, however large the row and
// column numbers, cells or counts it claims (a row numbered 10^12 once cost 24 GB).
func FuzzSheet(f *testing.F) {
	for _, s := range []string{
		`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row><row r="3"><c r="C3" s="1"><v>39155</v></c><c t="b"><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row><c><v>1</v></c><c t="s"><v>0</v></c><c t="s"><v>9</v></c><c t="d"><v>2026-01-01</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row r="0"><c r="XFE1"><v>1</v></c></row>`,
		`<worksheet><sheetData><row r="1"><c r="A1" t="str"><f>1</f></c><c r="B1" s="-1"><v>x</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row r="1"><c><v>1</v></c></row><row r="999999999999"><c r="XFD5"><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row r="1048576"><c><v>1</v></c></row><row><c><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>` + strings.Repeat("&#x10FFFF;", 4000) + `</t></is></c></row></sheetData></worksheet>`,
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheet string) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range map[string]string{
			"xl/workbook.xml":            `<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/styles" Target="styles.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sst.xml"/></Relationships>`,
			"xl/styles.xml":              `<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>`,
			"xl/sst.xml":                 `<sst><si><t>a</t></si></sst>`,
			"xl/worksheets/sheet1.xml":   sheet,
		} {
			w, _ := zw.Create(name)
			io.WriteString(w, body)
		}
		zw.Close()
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		readSheet(t, path, len(sheet))
		runtime.ReadMemStats(&after)
		// The fixed cost: the part buffers (64 KiB each), one record padded to column XFD
		// (16,384 cells, and its growth), the decoder's state. Then a bounded multiple of the
		// sheet's bytes: each element costs encoding/xml a name and attributes, each cell its
		// text, each problem a message.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(4<<20+fuzzAllocPerByte*len(sheet)); got > limit {
			t.Fatalf("reading a %d-byte sheet allocated %d bytes, over %d", len(sheet), got, limit)
		}
	})
}

// fuzzAllocPerByte is how many bytes reading may allocate per byte of sheet XML.
const fuzzAllocPerByte = 200

// readSheet reads every row of the workbook at path, reusing one record as the pipeline does.
func readSheet(t *testing.T, path string, size int) {
	in, err := OpenXLSX(path, Options{})
	if err != nil {
		return
	}
	defer in.Close()
	for {
		tb, err := in.NextTable()
		if err != nil {
			return
		}
		var rec pipeline.Record
		for i := 0; ; i++ {
			rec.Reset()
			if err := tb.Next(&rec); err != nil {
				break
			}
			if len(rec.Types) != len(rec.Cells) {
				t.Fatalf("row %d: %d cells, %d types", rec.Row, len(rec.Cells), len(rec.Types))
			}
			if rec.Row < 1 || rec.Row > MaxRows || len(rec.Cells) > MaxColumns {
				t.Fatalf("row %d with %d cells: past a sheet's limits", rec.Row, len(rec.Cells))
			}
			if i > size {
				t.Fatal("more rows than bytes: the reader is looping")
			}
		}
	}
}
