package template

import (
	"io"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
)

// BenchmarkWriteXLSX measures writing a template against a baseline measured in the same run: a
// bare excelize workbook holding only the same header row. The ratio is what the validations,
// notes, formats and Read me cost.
//
//	go test -run '^$' -bench . ./formats/template/
func BenchmarkWriteXLSX(b *testing.B) {
	kinds := append([]*pipeline.Kind{testKind()}, catalog.Kinds()...)
	for _, k := range kinds {
		b.Run(k.Name+"/baseline", func(b *testing.B) {
			for b.Loop() {
				f := excelize.NewFile()
				for i, h := range Headers(k) {
					cell, _ := excelize.CoordinatesToCellName(i+1, 1)
					if err := f.SetCellStr("Sheet1", cell, h); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := f.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
		b.Run(k.Name+"/template", func(b *testing.B) {
			for b.Loop() {
				if err := WriteXLSX(io.Discard, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
