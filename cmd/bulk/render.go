package main

import (
	"fmt"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/load"
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

// loadSummary is the line a OneFile load ends with.
func loadSummary(o *app.LoadOnefileOutcome) string {
	out := o.Load
	c := out.Counts
	verb := "Loaded"
	if o.DryRun {
		verb = "Dry run (nothing sent)"
	}
	where := fmt.Sprintf(" into organisation %d", out.Org.ID)
	if out.Org.ID == 0 {
		// The load stopped before it knew where to load (e.g. the token sees several
		// organisations and --org was not given): nothing was sent.
		verb, where = "Nothing loaded", ""
	}
	// Rows a nightly run's diffing held back end "exists, skipped" in results.csv, but nobody
	// asked OneFile about them: they are counted apart from the ones found already there.
	// One whose user OneFile no longer holds was loaded as a new row (NotOnTarget).
	var unchanged, gone int64
	okOf := map[string]int64{}
	for _, r := range out.Results {
		switch {
		case r.NotOnTarget:
			gone++
		case r.Item != nil && r.Item.Unchanged:
			unchanged++
		}
		if r.Status == load.StatusOK {
			okOf[r.Action]++
		}
	}
	also := ""
	if unchanged > 0 {
		also = fmt.Sprintf(", %s unchanged since the last run", thousands(unchanged))
	}
	if gone > 0 {
		also += fmt.Sprintf(", %s sent before but no longer on OneFile (loaded again)", thousands(gone))
	}
	if n := c[load.StatusStale]; n > 0 {
		also += fmt.Sprintf(", %s stale (changed on OneFile since the plan)", thousands(n))
	}
	if o.DryRun && out.Org.ID != 0 {
		return planSummary(o, where)
	}
	return fmt.Sprintf("%s%s: %s created, %s updated, %s assigned, %s already there, %s rejected, %s failed, %s skipped%s (%s API calls, %s retries). Results: %s",
		verb, where, thousands(okOf[load.ActCreate]), thousands(okOf[load.ActUpdate]), thousands(okOf[load.ActAssign]),
		thousands(c[load.ActExists]-unchanged), thousands(c[load.StatusRejected]), thousands(c[load.StatusFailed]),
		thousands(c[load.StatusSkipped]-c[load.ActExists]), also, thousands(o.Stats.Calls), thousands(o.Stats.Retries), o.ResultsFile())
}

// planSummary is what a dry run says: what each row would get, and where the plan is.
func planSummary(o *app.LoadOnefileOutcome, where string) string {
	n := map[string]int64{}
	for _, r := range o.Load.Results {
		n[load.PlannedAction(r)]++
	}
	return fmt.Sprintf("Dry run (nothing sent)%s: would create %s, update %s, assign %s; %s unchanged, %s %s, %s rejected (%s API calls). Results: %s\nPlan: %s. Review it, then send exactly that with: bulk apply %s",
		where, thousands(n[load.PlanCreate]), thousands(n[load.PlanUpdate]), thousands(n[load.PlanAssign]), thousands(n[load.PlanUnchanged]),
		thousands(n[load.PlanConflict]), plural(n[load.PlanConflict], "conflict", "conflicts"), thousands(n[load.PlanReject]),
		thousands(o.Stats.Calls), o.ResultsFile(), o.Plan, o.Plan)
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
