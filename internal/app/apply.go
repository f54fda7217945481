package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// ApplyOptions are the options of ApplyPlan ('bulk apply PLAN').
type ApplyOptions struct {
	Plan      string // plan.json, as a dry run wrote it
	TokenFile string // else $BULK_ONEFILE_TOKEN
	State     string // the run ledger; "" for Deps.LedgerPath
	ReportDir string
	// CredentialsDir: see LoadOnefileOptions.CredentialsDir.
	CredentialsDir string
	Concurrency    int
	Rate           int
	Patience       time.Duration // see LoadOnefileOptions.Patience
	Yes            bool          // confirm applying to live without asking
	Quiet          bool
	Drain          time.Duration
	// AllowInsecureHTTP lets the plan's API root be plain http:// to another host.
	AllowInsecureHTTP bool
}

// ApplyPlan carries out a plan a dry run wrote ('bulk load onefile --dry-run' leaves plan.json in
// its report folder): exactly its rows, each re-checked against OneFile just before it is
// written, so a row whose OneFile record moved since the plan is not sent (stale), and a plan
// applied twice sends nothing the second time (the ledger and the re-check both see it done).
// The token is read as a load reads it; the plan holds none.
func ApplyPlan(ctx context.Context, d Deps, o ApplyOptions) (*LoadOnefileOutcome, error) {
	if o.Plan == "" {
		return nil, cannotRun(errors.New("no plan given"), "Give the plan.json a dry run wrote, e.g. 'bulk apply bulk-report/plan.json'.")
	}
	p, err := load.ReadPlan(o.Plan)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if p.Target.InProcess {
		return nil, cannotRun(fmt.Errorf("%s was made against the sandbox 'bulk load onefile --sandbox' started inside itself, which stopped when that run ended: there is nothing to apply it to", o.Plan),
			"To rehearse plan and apply, start a sandbox that keeps running ('bulk sandbox onefile' in another terminal) and make the plan with the --url and --org it prints, plus --dry-run.")
	}
	items, planned, err := p.Items()
	if err != nil {
		return nil, cannotRun(fmt.Errorf("%s: %w", o.Plan, err), "Make the plan again with 'bulk load onefile --dry-run'.")
	}
	lo := LoadOnefileOptions{InputOptions: InputOptions{Files: p.Inputs, ReportDir: o.ReportDir, Quiet: o.Quiet},
		URL: p.Target.APIRoot, Org: p.Target.Organisation, TokenFile: o.TokenFile, Mode: string(p.Mode),
		Concurrency: o.Concurrency, Rate: o.Rate, Patience: o.Patience, State: o.State, Yes: o.Yes, Drain: o.Drain, CredentialsDir: o.CredentialsDir,
		AllowIdentityChange: p.AllowIdentityChange, AllowInsecureHTTP: o.AllowInsecureHTTP, planned: planned}
	if ids := p.LeaverIDs(); ids != nil {
		lo.Leavers = func(u *load.User) bool { return ids[u.ID] } // exactly the leavers the plan showed
	}
	t, led, closeAll, err := lo.open(&d)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	var note io.Writer
	if !o.Quiet {
		note = d.stderr()
	}
	g, ctx := NewLockGuard(ctx)
	defer g.Stop()
	lo.guard = g
	lk, err := lockOrg(led, t.url, lo.Org, p.Target.OrganisationName, note, g)
	if err != nil {
		return nil, err
	}
	defer lk.Release()

	// No input is read: the plan is the run's rows. Its report holds the load's results and
	// the problems of the rows not done (rejected when planned, conflicts, stale, failed).
	rep := report.New(o.ReportDir, false)
	rep.Set("plan", o.Plan)
	rep.AddRows(len(items))
	for _, it := range items {
		if it.Rejected {
			rep.Fail(pipeline.Problem{Source: it.Src, File: it.Src.File, Sheet: it.Src.Sheet, Row: it.Row, Rule: load.RulePlanned,
				Severity: pipeline.Error, Message: "rejected when the plan was made: " + it.Why})
		}
	}
	out := &LoadOnefileOutcome{Checked: Checked{Report: rep, ReportDir: o.ReportDir}, Mode: p.Mode}
	prof, err := lo.profile(&d, t, note)
	if err != nil {
		return nil, err
	}
	err = lo.send(ctx, &d, t, led, prof, items, false, note, out)
	err = lo.writeReport(rep, g.Err(err))
	out.Counts = rep.Counts()
	return out, err
}
