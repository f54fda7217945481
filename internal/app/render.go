package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// How a run's outcome reads to people: the lines a run ends with, the same for the command line
// and any other front end.

// SummaryLine is the line a validation ends with.
func (c *Checked) SummaryLine() string {
	n := c.Counts
	line := fmt.Sprintf("%s %s: %s valid, %s rejected, %s %s. Report: %s",
		Thousands(n.Read), Plural(n.Read, "row", "rows"), Thousands(n.Valid), Thousands(n.Rejected),
		Thousands(n.Warnings), Plural(n.Warnings, "warning", "warnings"), c.RejectsFile())
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

// NothingChanged is what a loader says when every valid row was held back as unchanged since
// the last run (a nightly run's diffing), so there is nothing to send: "Nothing to push: all 3
// valid rows are unchanged since the last run." With rejected rows too, it says so and where to
// fix them. It returns "" when some valid row was not held back, or there was none.
func NothingChanged(verb string, c report.Counts, rejects string) string {
	if c.Valid == 0 || c.Skipped != c.Valid {
		return ""
	}
	rows := fmt.Sprintf("all %s valid rows are", Thousands(c.Valid))
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
		verb, Thousands(c.Rejected), Plural(c.Rejected, "row was", "rows were"), rows, rejects)
}

// SummaryLine is what a push ends with: its counts, then (on a line of its own) which chunks an
// earlier run of the same push had answered or left unknown and what to do about unknown rows.
func (p *PushOutcome) SummaryLine() string {
	s := p.Summary
	// Chunks counts requests that got an answer; after a refused key it is 0.
	line := fmt.Sprintf("%s: %s %s, %d %s answered by %s: %s ok, %s %s, %s failed, %s unknown. Results: %s",
		p.File, Thousands(int64(s.Rows)), Plural(int64(s.Rows), "row", "rows"), s.Chunks, Plural(int64(s.Chunks), "request", "requests"), p.Endpoint,
		Thousands(int64(s.OK)), Thousands(int64(s.Warnings)), Plural(int64(s.Warnings), "warning", "warnings"),
		Thousands(int64(s.Failed)), Thousands(int64(s.Unknown)), p.Results)
	if resumed := peoplefluent.ResumeLine(s); resumed != "" {
		line += "\n" + resumed
	}
	return line
}

// PushLine is a push's counts in a sentence.
func PushLine(s peoplefluent.Summary) string {
	return fmt.Sprintf("%s ok, %s %s, %s failed, %s unknown at the LMS", Thousands(int64(s.OK)), Thousands(int64(s.Warnings)),
		Plural(int64(s.Warnings), "warning", "warnings"), Thousands(int64(s.Failed)), Thousands(int64(s.Unknown)))
}

// anyGone: rows held back as unchanged were loaded after all, their users gone from OneFile.
func anyGone(out *load.Outcome) bool {
	for _, r := range out.Results {
		if r.NotOnTarget {
			return true
		}
	}
	return false
}

// Render prints what a OneFile load did (bulk load onefile, bulk apply): its summary line, where the new logins are,
// and what an in-process sandbox holds.
func (out *LoadOnefileOutcome) Render(stdout, stderr io.Writer, quiet bool) {
	if !quiet && out.Load != nil && !out.Busy {
		if msg := NothingChanged("load", out.Counts, out.RejectsFile()); msg != "" && !anyGone(out.Load) {
			fmt.Fprintf(stderr, "%s Results: %s\n", msg, out.ResultsFile())
		} else {
			fmt.Fprintln(stderr, out.Summary())
		}
		if out.Credentials != "" {
			fmt.Fprintf(stderr, "OneFile returned %d new logins: they are in %s (readable by you only). Hand them over securely, then delete the file.\n", len(out.Load.Credentials), out.Credentials)
		}
		if out.Load.Keychain {
			fmt.Fprintln(stderr, "OneFile returned no logins (the centre's keychain setting is on): each new user gets an e-mail from OneFile to verify their account.")
		}
		if n := len(out.Load.LostLogins); n > 0 {
			fmt.Fprintf(stderr, "%d new %s created but OneFile's answer with the login was lost (%s): reset %s password in OneFile before handing it over.\n",
				n, Plural(int64(n), "user was", "users were"), ItemRows(out.Load.LostLogins), Plural(int64(n), "that user's", "their"))
		}
		if out.KeptCredentials != "" {
			fmt.Fprintf(stderr, "The logins of an earlier run in this report folder were kept: they are now in %s.\n", out.KeptCredentials)
		}
	}
	if out.AtRealLimit != "" && !quiet {
		fmt.Fprintf(stderr, "Rehearsal: %s (OneFile's limit; the sandbox has none).\n", out.AtRealLimit)
	}
	if out.Sandbox != nil && out.Load != nil {
		fmt.Fprintln(stdout)
		_ = out.Sandbox.WriteSummary(stdout)
	}
}
