package read

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
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

// FuzzSheet feeds arbitrary worksheet XML to the reader: it returns rows or an error, and never
// panics or loops.
func FuzzSheet(f *testing.F) {
	for _, s := range []string{
		`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row><row r="3"><c r="C3" s="1"><v>39155</v></c><c t="b"><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row><c><v>1</v></c><c t="s"><v>0</v></c><c t="s"><v>9</v></c><c t="d"><v>2026-01-01</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row r="0"><c r="XFE1"><v>1</v></c></row>`,
		`<worksheet><sheetData><row r="1"><c r="A1" t="str"><f>1</f></c><c r="B1" s="-1"><v>x</v></c></row></sheetData></worksheet>`,
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
			for i := 0; ; i++ {
				var rec pipeline.Record
				if err := tb.Next(&rec); err != nil {
					break
				}
				if len(rec.Types) != len(rec.Cells) {
					t.Fatalf("row %d: %d cells, %d types", rec.Row, len(rec.Cells), len(rec.Types))
				}
				if i > len(sheet) {
					t.Fatal("more rows than bytes: the reader is looping")
				}
			}
		}
	})
}
