package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bulkload/bulk/pipeline/report"
)

// Checked is what validating the inputs found: the run's report (written once, at the end of
// the use case) and its counts. Every use case that reads input returns one.
type Checked struct {
	Report    *report.Report
	Counts    report.Counts
	ReportDir string
}

// RejectsFile is the file of rejects to fix: the workbook when the report wrote one (it may be
// rejects-2.xlsx), else rejects.csv.
func (c *Checked) RejectsFile() string {
	if file := c.Report.RejectsXLSX(); file != "" {
		return file
	}
	return filepath.Join(c.ReportDir, "rejects.csv")
}

// ValidateOutcome is what Validate found.
type ValidateOutcome struct{ Checked }

// Validate checks the inputs and writes the report; nothing is sent anywhere. Rejected rows are
// in the outcome's counts, not an error.
func Validate(ctx context.Context, d Deps, o InputOptions) (*ValidateOutcome, error) {
	rep, err := d.check(ctx, &o, nil, nil, nil)
	if rep == nil {
		return nil, err
	}
	if err == nil {
		err = o.gate(rep)
	}
	err = o.writeReport(rep, err)
	return &ValidateOutcome{Checked{Report: rep, Counts: rep.Counts(), ReportDir: o.ReportDir}}, err
}

// Plural returns one when n is 1, else many.
func Plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Thousands formats n with commas, as a data officer reads counts: 10,482.
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
