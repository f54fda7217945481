package pipelinetest_test

import (
	"io"
	"reflect"
	"testing"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

// TestInput reads an input as the runner does: its tables in order, each row once, numbered from
// the row below the header, then io.EOF.
func TestInput(t *testing.T) {
	lower := pipelinetest.NewTable("book.xlsx", "Staff", []string{"Key"}, []string{"s1"})
	lower.Src.HeaderRow = 3 // blank rows above the header
	in := pipelinetest.NewInput(
		pipelinetest.NewTable("book.xlsx", "People", []string{"Key", "Age"}, []string{"k1", "30"}, []string{"k2"}),
		lower,
		pipelinetest.NewTable("book.xlsx", "Empty", []string{"Key"}))
	type row struct {
		sheet string
		row   int
		cells []string
	}
	var got []row
	var sheets []string
	for {
		tb, err := in.NextTable()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sheets = append(sheets, tb.Source().Sheet)
		var rec pipeline.Record
		for {
			rec.Reset()
			if err := tb.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			got = append(got, row{tb.Source().Sheet, rec.Row, append([]string(nil), rec.Cells...)})
		}
	}
	want := []row{{"People", 2, []string{"k1", "30"}}, {"People", 3, []string{"k2"}}, {"Staff", 4, []string{"s1"}}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(sheets, []string{"People", "Staff", "Empty"}) {
		t.Errorf("read %v from sheets %q\nwant %v from People, Staff, Empty", got, sheets, want)
	}
	if _, err := in.NextTable(); err != io.EOF {
		t.Errorf("NextTable after the last: %v, want io.EOF", err)
	}
	if in := pipelinetest.CSV("a.csv", []string{"Key"}, []string{"x"}); len(in.Tables) != 1 || in.Tables[0].Src.Sheet != "" || in.Tables[0].Src.HeaderRow != 1 {
		t.Errorf("CSV: %+v", in.Tables)
	}
}
