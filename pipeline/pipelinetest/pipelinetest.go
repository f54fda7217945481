// Package pipelinetest builds pipeline inputs in memory, for tests that run rows through the real
// pipeline without writing files: a table is a header and rows of cells, numbered as a
// spreadsheet numbers them.
package pipelinetest

import (
	"io"

	"github.com/bulkload/bulk/pipeline"
)

// Table is a table held in memory. Its rows are numbered from the row below Src.HeaderRow, with
// no gaps. It is read once, as a file is.
type Table struct {
	Src  *pipeline.Source
	Rows [][]string
	next int
}

// NewTable is a table of file (and of one sheet when sheet is not empty) with its header on row 1.
func NewTable(file, sheet string, header []string, rows ...[]string) *Table {
	return &Table{Src: &pipeline.Source{File: file, Sheet: sheet, Header: header, HeaderRow: 1}, Rows: rows}
}

func (t *Table) Source() *pipeline.Source { return t.Src }

// Next gives the next row, its cells appended to rec's, as the file readers do.
func (t *Table) Next(rec *pipeline.Record) error {
	if t.next >= len(t.Rows) {
		return io.EOF
	}
	rec.Row = t.Src.HeaderRow + 1 + t.next
	rec.Cells = append(rec.Cells, t.Rows[t.next]...)
	t.next++
	return nil
}

// Input gives its tables in order, as a workbook gives its sheets.
type Input struct {
	Tables []*Table
	next   int
}

// NewInput is an input of the given tables.
func NewInput(tables ...*Table) *Input { return &Input{Tables: tables} }

// CSV is an input of one table, as a CSV file is, with its header on row 1.
func CSV(file string, header []string, rows ...[]string) *Input {
	return NewInput(NewTable(file, "", header, rows...))
}

func (in *Input) NextTable() (pipeline.Table, error) {
	if in.next >= len(in.Tables) {
		return nil, io.EOF
	}
	in.next++
	return in.Tables[in.next-1], nil
}

func (in *Input) Close() error { return nil }
