package peoplefluent

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// KeepEarlierResults moves the results.csv and raw/ folder of an earlier push in the report
// folder dir aside, to results-N.csv and raw-N/ with the first N free for both, before a new
// push writes its own: "run the same command again" after a crash uses the same folder, and
// what the earlier run was told by the LMS must not be lost (the raw answers are the only
// record of rows the LMS refused). It returns the new name of results.csv ("" when there
// was none) and of raw/ ("" when there was none).
func KeepEarlierResults(dir string) (results, raw string, err error) {
	oldResults := filepath.Join(dir, "results.csv")
	oldRaw := filepath.Join(dir, "raw")
	_, rerr := os.Lstat(oldResults)
	haveResults := rerr == nil
	entries, _ := os.ReadDir(oldRaw)
	haveRaw := len(entries) > 0
	if !haveResults && !haveRaw {
		return "", "", nil
	}
	for i := 1; i < 100000; i++ {
		toResults := filepath.Join(dir, fmt.Sprintf("results-%d.csv", i))
		toRaw := filepath.Join(dir, fmt.Sprintf("raw-%d", i))
		if _, err := os.Lstat(toResults); err == nil {
			continue
		}
		if _, err := os.Lstat(toRaw); err == nil {
			continue
		}
		if haveResults {
			if err := os.Rename(oldResults, toResults); err != nil {
				return "", "", fmt.Errorf("cannot keep the earlier results: %w", err)
			}
			results = toResults
		}
		if haveRaw {
			if err := os.Rename(oldRaw, toRaw); err != nil {
				return results, "", fmt.Errorf("cannot keep the earlier raw answers: %w", err)
			}
			raw = toRaw
		}
		return results, raw, nil
	}
	return "", "", fmt.Errorf("the report folder %s already holds results-1.csv to results-99999.csv: choose another folder with --report", dir)
}
