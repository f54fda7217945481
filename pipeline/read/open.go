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
	"slices"
	"strings"

	"github.com/bulkload/bulk/pipeline"
)

// Options choose how inputs are read.
type Options struct {
	Delimiter rune   // 0: sniff among , ; tab |
	Sheet     string // XLSX: read only this sheet
	// IncludeHidden: XLSX: read hidden and very hidden sheets too (--include-hidden). By
	// default they are passed over, and HiddenSheets names them for a notice.
	IncludeHidden bool
	// XLSX: what a worksheet or the shared strings may expand to (0: DefaultMaxPartSize), and
	// how many times its compressed size (0: DefaultMaxRatio; negative: no ratio check).
	MaxPartSize int64
	MaxRatio    int
	// Context, when set, stops reading once it is done (Ctrl-C, SIGTERM): a reader that sees it
	// done returns its error, so a long read (the whole-file encoding pass, the rows, the
	// report's second reading for rejects.xlsx) ends within a block of input.
	Context context.Context
	// HeaderRow, when positive, is the row (as the spreadsheet numbers it) that holds the
	// header of every table (--header-row); the rows above it are not read.
	HeaderRow int
	// HeaderScore, when set, says how much a row looks like a header (pipeline.HeaderScore):
	// the header is then the first of a table's first HeaderSearch rows with values that
	// scores best, so a title and notes above the header are passed over. Unset, or when no
	// row scores better than the first, the header is the first row with a value.
	HeaderScore func(cells []string) int
	// Name is how reports and messages name the file (pipeline.Source.File); empty, its base
	// name. Names gives inputs that share a base name names that tell them apart.
	Name string
}

// name is what reports call the file at path.
func (o Options) name(path string) string {
	if o.Name != "" {
		return o.Name
	}
	return filepath.Base(path)
}

// Names returns what reports call each of paths: its base name (learners.csv), or, when
// another input has the same base name, the shortest end of its path that no other input's
// path ends with (autumn/learners.csv beside spring/learners.csv), so rejects.csv,
// rejects.xlsx and every message tell them apart. A file given twice keeps its base name.
func Names(paths []string) []string {
	parts := make([][]string, len(paths))
	for i, p := range paths {
		parts[i] = strings.FieldsFunc(filepath.ToSlash(filepath.Clean(p)), func(r rune) bool { return r == '/' })
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		mine := parts[i]
		n := 1
		for j := range paths {
			if j == i || slices.Equal(parts[j], mine) {
				continue
			}
			// The shortest ending of mine that is not also an ending of theirs.
			k := 1
			for k < len(mine) && k <= len(parts[j]) && slices.Equal(mine[len(mine)-k:], parts[j][len(parts[j])-k:]) {
				k++
			}
			n = max(n, k)
		}
		if n <= 1 || len(mine) == 0 {
			names[i] = filepath.Base(p)
			continue
		}
		names[i] = filepath.FromSlash(strings.Join(mine[len(mine)-n:], "/"))
	}
	return names
}

// HeaderSearch is how many rows with values a reader looks through for the header.
const HeaderSearch = 20

// minHeaderScore is the least score a row below the first needs to be taken for the header: one
// cell that happens to name a field (a note saying "Email us") is not a header.
const minHeaderScore = 2

// searching reports whether the reader must look at more than the first row with values.
func (o Options) searching() bool { return o.HeaderRow > 0 || o.HeaderScore != nil }

// pickHeader chooses the header among rows, a table's first rows with values in order: the
// first that scores best, or the first row when none scores better than it does.
func (o Options) pickHeader(rows [][]string) int {
	if o.HeaderScore == nil || len(rows) == 0 {
		return 0
	}
	best, at := o.HeaderScore(rows[0]), 0
	for i := 1; i < len(rows); i++ {
		if s := o.HeaderScore(rows[i]); s > best && s >= minHeaderScore {
			best, at = s, i
		}
	}
	return at
}

// HeaderRowError is a --header-row that names a row the table does not have or that is empty.
type HeaderRowError struct {
	Where string // the table: "learners.csv" or "term.xlsx, sheet Learners"
	Row   int
	Past  bool // the table ends before the row
}

func (e *HeaderRowError) Error() string {
	if e.Past {
		return fmt.Sprintf("%s ends before row %d, the header row asked for (--header-row); give the row that holds the column names", e.Where, e.Row)
	}
	return fmt.Sprintf("row %d of %s, the header row asked for (--header-row), is empty; give the row that holds the column names", e.Row, e.Where)
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
