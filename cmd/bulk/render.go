package main

import (
	"fmt"
	"strings"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// How the command line shows the use cases' outcomes: the one line a run ends with.

var (
	thousands = app.Thousands
	plural    = app.Plural
)

// summaryLine is the line a validation ends with.
func summaryLine(c *app.Checked) string {
	n := c.Counts
	line := fmt.Sprintf("%s %s: %s valid, %s rejected, %s %s. Report: %s",
		thousands(n.Read), plural(n.Read, "row", "rows"), thousands(n.Valid), thousands(n.Rejected),
		thousands(n.Warnings), plural(n.Warnings, "warning", "warnings"), c.RejectsFile())
	if n.Errors > 0 {
		// An empty input rejects no row, so the counts alone would not say why the run failed.
		for _, p := range c.Report.Problems() {
			if p.Rule == pipeline.RuleEmptyInput {
				line += "\n" + p.Message
			}
		}
	}
	return line
}

// nothingChanged is what a loader says when every valid row was held back as unchanged since
// the last run (a nightly run's diffing), so there is nothing to send: "Nothing to push: all 3
// valid rows are unchanged since the last run." With rejected rows too, it says so and where to
// fix them. It returns "" when some valid row was not held back, or there was none.
func nothingChanged(verb string, c report.Counts, rejects string) string {
	if c.Valid == 0 || c.Skipped != c.Valid {
		return ""
	}
	rows := fmt.Sprintf("all %s valid rows are", thousands(c.Valid))
	if c.Valid == 1 {
		rows = "the 1 valid row is"
	}
	if c.Rejected == 0 {
		return fmt.Sprintf("Nothing to %s: %s unchanged since the last run.", verb, rows)
	}
	rows = strings.Replace(rows, "all ", "the other ", 1)
	if c.Valid == 1 {
		rows = "the other valid row is"
	}
	return fmt.Sprintf("Nothing to %s: %s %s rejected and %s unchanged since the last run. Fix the rejected rows in %s and load again.",
		verb, thousands(c.Rejected), plural(c.Rejected, "row was", "rows were"), rows, rejects)
}

// pushSummary is what a push ends with: its counts, then (on a line of its own) which chunks an
// earlier run of the same push had answered or left unknown and what to do about unknown rows.
func pushSummary(p *app.PushOutcome) string {
	s := p.Summary
	// Chunks counts requests that got an answer; after a refused key it is 0.
	line := fmt.Sprintf("%s: %s %s, %d %s answered by %s: %s ok, %s %s, %s failed, %s unknown. Results: %s",
		p.File, thousands(int64(s.Rows)), plural(int64(s.Rows), "row", "rows"), s.Chunks, plural(int64(s.Chunks), "request", "requests"), p.Endpoint,
		thousands(int64(s.OK)), thousands(int64(s.Warnings)), plural(int64(s.Warnings), "warning", "warnings"),
		thousands(int64(s.Failed)), thousands(int64(s.Unknown)), p.Results)
	if resumed := peoplefluent.ResumeLine(s); resumed != "" {
		line += "\n" + resumed
	}
	return line
}

func pushLine(s peoplefluent.Summary) string {
	return fmt.Sprintf("%s ok, %s %s, %s failed, %s unknown at the LMS", thousands(int64(s.OK)), thousands(int64(s.Warnings)),
		plural(int64(s.Warnings), "warning", "warnings"), thousands(int64(s.Failed)), thousands(int64(s.Unknown)))
}
