// Package read opens the files data officers give bulk — CSV in the encodings and delimiters
// spreadsheet programs write, and XLSX workbooks — and streams their rows as pipeline records
// with the row numbers a spreadsheet program shows.
package read

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulkload/bulk/pipeline"
)

// Options choose how inputs are read.
type Options struct {
	Delimiter rune   // 0: sniff among , ; tab |
	Sheet     string // XLSX: read only this sheet
	// XLSX: what a worksheet or the shared strings may expand to (0: DefaultMaxPartSize), and
	// how many times its compressed size (0: DefaultMaxRatio; negative: no ratio check).
	MaxPartSize int64
	MaxRatio    int
	// Context, when set, stops reading once it is done (Ctrl-C, SIGTERM): a reader that sees it
	// done returns its error, so a long read (the whole-file encoding pass, the rows, the
	// report's second reading for rejects.xlsx) ends within a block of input.
	Context context.Context
}

// ctxErr is o.Context's error, or nil when there is no context.
func (o Options) ctxErr() error {
	if o.Context == nil {
		return nil
	}
	return o.Context.Err()
}

// Open opens one input by its extension.
func Open(path string, o Options) (pipeline.Input, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, openError(path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder; give the files in it (for example %s)", path, filepath.Join(path, "*.csv"))
	}
	if HasSheets(path) {
		return OpenXLSX(path, o)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".txt", ".tsv":
		return OpenCSV(path, o)
	case ".xls":
		return nil, fmt.Errorf("%s is an old-style .xls workbook; open it in your spreadsheet program and save it as .xlsx or CSV", path)
	default:
		return nil, fmt.Errorf("%s: unsupported file type %q; give a .csv or .xlsx file", path, ext)
	}
}

// HasSheets reports whether Open reads path as a workbook of sheets, to which Options.Sheet
// applies; a CSV file is one table, and Open reads it whole whatever Sheet says.
func HasSheets(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return true
	}
	return false
}

// openError says why path cannot be opened without repeating the path (os errors carry it
// already: "stat missing.csv: no such file or directory").
func openError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot open %s: %w", path, pe.Err)
	}
	return fmt.Errorf("cannot open %s: %w", path, err)
}
