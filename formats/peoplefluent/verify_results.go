package peoplefluent

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// VerifyHeader is the header of verify.csv, exactly.
var VerifyHeader = []string{"file", "row", "user", "learning", "status", "fields", "message"}

// VerifyWriter writes verify.csv one row at a time (RFC 4180, CRLF), cells that a spreadsheet
// would run as formulas made text, as results.csv.
type VerifyWriter struct {
	w      *csv.Writer
	header bool
}

// NewVerifyWriter returns a writer of verify.csv to w.
func NewVerifyWriter(w io.Writer) *VerifyWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &VerifyWriter{w: cw}
}

// Write adds one row's result; fields names the differing fields, separated by spaces.
func (vw *VerifyWriter) Write(r VerifyResult) error {
	if err := vw.writeHeader(); err != nil {
		return err
	}
	var fields []string
	for _, d := range r.Diffs {
		fields = append(fields, d.Field)
	}
	return vw.w.Write([]string{safeCell(r.File), strconv.Itoa(r.Row), safeCell(r.UserID), safeCell(r.Learning), r.Status,
		strings.Join(fields, " "), safeCell(r.Message)})
}

// Flush writes what is buffered (and the header when nothing was written).
func (vw *VerifyWriter) Flush() error {
	if err := vw.writeHeader(); err != nil {
		return err
	}
	vw.w.Flush()
	return vw.w.Error()
}

func (vw *VerifyWriter) writeHeader() error {
	if vw.header {
		return nil
	}
	vw.header = true
	return vw.w.Write(VerifyHeader)
}
