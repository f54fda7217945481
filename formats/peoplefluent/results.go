package peoplefluent

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// Result is what became of one pushed row.
type Result struct {
	File    string // payload file name as given to Push
	Row     int    // row as a spreadsheet shows the pushed file: header 1, first data row 2; 0 = the whole file (courses XML)
	Status  string // StatusOK, StatusWarning or StatusFailed
	Message string // the LMS's message, or why bulk could not get one
}

// ResultsHeader is the header of results.csv, exactly.
var ResultsHeader = []string{"file", "row", "status", "message"}

// ResultWriter writes results.csv one result at a time, so a push of a
// million rows does not hold a million results in memory.
type ResultWriter struct {
	w      *csv.Writer
	header bool
}

// NewResultWriter returns a writer of results.csv (RFC 4180, CRLF, UTF-8
// without BOM, like the payloads) to w. The header is written with the first
// result, or by Flush if there is none.
func NewResultWriter(w io.Writer) *ResultWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &ResultWriter{w: cw}
}

// Write adds one result.
func (rw *ResultWriter) Write(r Result) error {
	if err := rw.writeHeader(); err != nil {
		return err
	}
	return rw.w.Write([]string{safeCell(r.File), strconv.Itoa(r.Row), safeCell(r.Status), safeCell(r.Message)})
}

// Flush writes buffered results (and the header, if nothing else was written)
// and reports any write error.
func (rw *ResultWriter) Flush() error {
	if err := rw.writeHeader(); err != nil {
		return err
	}
	rw.w.Flush()
	return rw.w.Error()
}

func (rw *ResultWriter) writeHeader() error {
	if rw.header {
		return nil
	}
	rw.header = true
	return rw.w.Write(ResultsHeader)
}

// WriteResults writes results.csv with every result in rs.
func WriteResults(w io.Writer, rs []Result) error {
	rw := NewResultWriter(w)
	for _, r := range rs {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Flush()
}

// safeCell keeps spreadsheet programs from running a cell as a formula: a
// cell the LMS (or a file name) starts with = + - @ tab or CR gets a leading
// apostrophe, which shows as text.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
