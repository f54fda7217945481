package app

import (
	"fmt"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/internal/sqlstore"
)

// Summary is the line a OneFile load ends with (moved from cmd/bulk, which only shows it).
func (o *LoadOnefileOutcome) Summary() string {
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
		also = fmt.Sprintf(", %s unchanged since the last run", Thousands(unchanged))
	}
	if gone > 0 {
		also += fmt.Sprintf(", %s sent before but no longer on OneFile (loaded again)", Thousands(gone))
	}
	if n := len(out.Leavers); n > 0 {
		archived := 0
		for _, g := range out.Leavers {
			if g.Status == load.StatusOK {
				archived++
			}
		}
		also += fmt.Sprintf(", %d of %d leavers archived (no longer in the full export)", archived, n)
	}
	if n := c[load.StatusStale]; n > 0 {
		also += fmt.Sprintf(", %s stale (changed on OneFile since the plan)", Thousands(n))
	}
	if o.DryRun && out.Org.ID != 0 {
		return planSummary(o, where)
	}
	return fmt.Sprintf("%s%s: %s created, %s updated, %s assigned, %s already there, %s rejected, %s failed, %s skipped%s (%s API calls, %s retries). Results: %s",
		verb, where, Thousands(okOf[load.ActCreate]), Thousands(okOf[load.ActUpdate]), Thousands(okOf[load.ActAssign]),
		Thousands(c[load.ActExists]-unchanged), Thousands(c[load.StatusRejected]), Thousands(c[load.StatusFailed]),
		Thousands(c[load.StatusSkipped]-c[load.ActExists]), also, Thousands(o.Stats.Calls), Thousands(o.Stats.Retries), o.ResultsFile())
}

// planSummary is what a dry run says: what each row would get, and where the plan is.
func planSummary(o *LoadOnefileOutcome, where string) string {
	n := map[string]int64{}
	for _, r := range o.Load.Results {
		n[load.PlannedAction(r)]++
	}
	next := "Review it, then send exactly that with: bulk apply " + ShellQuote(o.Plan)
	switch {
	case o.State == "":
	case sqlstore.IsPostgres(o.State):
		// Not printed: the URL may hold a password. Without it apply would use another ledger.
		next += " --state URL (this run's postgres:// state)"
	default:
		next += " --state " + ShellQuote(o.State)
	}
	if o.Sandbox != nil {
		next = "Review it; it cannot be applied: the in-process sandbox ends with this run (to rehearse apply, plan against 'bulk sandbox onefile' with --url)"
	}
	archive := ""
	if k := n[load.PlanNotData]; k > 0 { // a totals line: counted, so the rows add up
		archive = fmt.Sprintf(", pass over %d %s that %s not data", k, Plural(k, "row", "rows"), Plural(k, "is", "are"))
	}
	if k := len(o.Load.Leavers); k > 0 {
		archive += fmt.Sprintf(", archive %d %s", k, Plural(int64(k), "leaver", "leavers"))
	}
	return fmt.Sprintf("Dry run (nothing sent)%s: would create %s, update %s, assign %s%s; %s unchanged, %s %s, %s rejected (%s API calls). Results: %s\nPlan: %s. %s.",
		where, Thousands(n[load.PlanCreate]), Thousands(n[load.PlanUpdate]), Thousands(n[load.PlanAssign]), archive, Thousands(n[load.PlanUnchanged]),
		Thousands(n[load.PlanConflict]), Plural(n[load.PlanConflict], "conflict", "conflicts"), Thousands(n[load.PlanReject]),
		Thousands(o.Stats.Calls), o.ResultsFile(), o.Plan, next)
}
