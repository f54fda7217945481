package read

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
)

type xlsxInput struct {
	f      *excelize.File
	path   string
	sheets []string
	next   int
}

type xlsxTable struct {
	src  *pipeline.Source
	rows *excelize.Rows
	row  int
}

// OpenXLSX opens a workbook; each sheet (or only o.Sheet) is a table.
func OpenXLSX(path string, o Options) (pipeline.Input, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s as a workbook: %w", path, err)
	}
	sheets := f.GetSheetList()
	if o.Sheet != "" {
		found := false
		for _, s := range sheets {
			if s == o.Sheet {
				found = true
			}
		}
		if !found {
			f.Close()
			return nil, fmt.Errorf("%s has no sheet %q; its sheets are %q", filepath.Base(path), o.Sheet, sheets)
		}
		sheets = []string{o.Sheet}
	}
	return &xlsxInput{f: f, path: path, sheets: sheets}, nil
}

func (in *xlsxInput) NextTable() (pipeline.Table, error) {
	for in.next < len(in.sheets) {
		name := in.sheets[in.next]
		in.next++
		rows, err := in.f.Rows(name)
		if err != nil {
			return nil, fmt.Errorf("reading sheet %s of %s: %w", name, filepath.Base(in.path), err)
		}
		t := &xlsxTable{rows: rows, src: &pipeline.Source{Path: in.path, File: filepath.Base(in.path), Sheet: name}}
		for rows.Next() {
			t.row++
			cells, err := rows.Columns()
			if err != nil {
				return nil, err
			}
			if !blank(cells) {
				t.src.Header = cells
				t.src.HeaderRow = t.row
				break
			}
		}
		if t.src.Header == nil {
			rows.Close()
			continue // an empty sheet holds nothing to load
		}
		return t, nil
	}
	return nil, io.EOF
}

func (in *xlsxInput) Close() error { return in.f.Close() }

func (t *xlsxTable) Source() *pipeline.Source { return t.src }

func (t *xlsxTable) Next(rec *pipeline.Record) error {
	for t.rows.Next() {
		t.row++
		cells, err := t.rows.Columns()
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		rec.Row = t.row
		rec.Cells = append(rec.Cells, cells...)
		return nil
	}
	if err := t.rows.Error(); err != nil {
		return err
	}
	t.rows.Close()
	return io.EOF
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}
