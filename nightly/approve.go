package nightly

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/pipeline"
)

// ApproveOptions are the options of Approve (bulk approve's arguments and flags).
type ApproveOptions struct {
	RunID string
	// Job is the job file, when given: its state (its own state: setting) is where the run is
	// looked for, unless State says otherwise.
	Job string
	// State is the state database; "" for the job's, else DefaultStatePath.
	State string
	// Yes approves without asking; without it Approve asks on a terminal and refuses elsewhere.
	Yes bool
}

// ApproveCommand is the command that approves run runID of job j, as it must be typed: with the
// job file when the job keeps its state anywhere but the default, so it works as printed.
func ApproveCommand(j *Job, runID string) string {
	if filepath.Clean(j.State) == filepath.Clean(DefaultStatePath()) {
		return "bulk approve " + runID
	}
	return "bulk approve " + app.ShellQuote(absPath(j.Path)) + " " + runID
}

// OpenJobState opens the state a command about a job's runs reads: the database at statePath
// when given, else the job file's own (jobPath), else the default. It returns the job (nil
// without jobPath) and the path opened.
func OpenJobState(jobPath, statePath string) (*State, *Job, string, error) {
	var j *Job
	if jobPath != "" {
		var err error
		if j, err = Load(jobPath); err != nil {
			return nil, nil, "", app.CannotRunError(err, "")
		}
		if statePath == "" {
			statePath = j.State
		}
	}
	if statePath == "" {
		statePath = DefaultStatePath()
	}
	st, err := OpenState(statePath)
	if err != nil {
		return nil, nil, "", app.CannotRunError(err, "")
	}
	return st, j, statePath, nil
}

// Approve sends a run that a threshold held (bulk approve). It shows what the run would do (the
// held summary: its plan's creates and changes with their diffs, the missing count), asks on a
// terminal or needs Yes, then, for a OneFile run, applies the saved plan (app.ApplyPlan: each
// row re-checked against OneFile, a row that moved since is stale and not sent) and remembers
// the rows it applied; other targets' held files are validated and sent again as if the
// thresholds allowed them. The held input is filed under done/ or failed/.
func Approve(ctx context.Context, d app.Deps, log *slog.Logger, o ApproveOptions) error {
	st, j, statePath, err := OpenJobState(o.Job, o.State)
	if err != nil {
		return err
	}
	run, err := st.GetRun(o.RunID)
	st.Close()
	if err != nil {
		hint := "Held runs are listed by 'bulk runs --nightly'; for a job that keeps its own state, give the job file: 'bulk approve JOB.yaml RUN_ID'."
		return app.CannotRunError(fmt.Errorf("%w (looked in %s)", err, sqlstore.Redact(statePath)), hint)
	}
	if run.Status != "held" {
		return app.CannotRunError(fmt.Errorf("run %s is %s, not held", run.ID, run.Status), "")
	}
	if j == nil {
		if j, err = Load(run.JobPath); err != nil {
			return app.CannotRunError(err, "")
		}
	} else if run.Job != j.Name {
		return app.CannotRunError(fmt.Errorf("run %s is of job %s, not of %s (%s)", run.ID, run.Job, j.Name, o.Job), "")
	}
	j.State = statePath // the run was found here: its approval is recorded here too
	var plan *load.Plan
	if run.Plan != "" {
		if plan, err = load.ReadPlan(run.Plan); err != nil {
			return app.CannotRunError(fmt.Errorf("the held run's plan: %w; nothing was sent", err), "")
		}
	}
	why, counts := heldOf(run.Summary)
	fmt.Fprintf(d.Stdout, "Run %s of job %s held %s (report %s).\n", run.ID, run.Job, filepath.Base(run.Archive), run.Report)
	if err := RenderHeld(d.Stdout, why, counts, plan); err != nil {
		return app.CannotRunError(err, "")
	}
	if err := confirm(d, o.Yes, plan != nil); err != nil {
		return err
	}
	r, release, err := open(d, log.With("job", j.Name), j)
	if err != nil {
		return err
	}
	defer release()
	g, ctx := app.NewLockGuard(ctx)
	defer g.Stop()
	g.Watch(r.lock)
	if plan != nil {
		return g.Err(r.applyHeld(ctx, run, plan))
	}
	return g.Err(r.resendHeld(ctx, run))
}

// heldOf reads why a run was held and its diff counts back from its recorded summary.
func heldOf(summary map[string]any) ([]string, DiffCounts) {
	var why []string
	if ws, ok := summary["held_because"].([]any); ok {
		for _, w := range ws {
			why = append(why, fmt.Sprint(w))
		}
	}
	var c DiffCounts
	if b, err := json.Marshal(summary["diff"]); err == nil {
		_ = json.Unmarshal(b, &c) // a run recorded without counts shows zeros
	}
	return why, c
}

// confirm asks whoever approves: "yes" typed on a terminal, or Yes; nobody to ask and no Yes is
// a refusal that sends nothing.
func confirm(d app.Deps, yes, plan bool) error {
	if yes {
		return nil
	}
	if !interactive(d) {
		return app.CannotRunError(errors.New("not approved: nobody is here to confirm, and --yes was not given; nothing was sent"),
			"Read the summary above, then run the same command with --yes.")
	}
	what := "send the held file's new and changed rows"
	if plan {
		what = "apply this plan"
	}
	fmt.Fprintf(d.Stderr, "Type yes to %s: ", what)
	line, _ := bufio.NewReader(d.Stdin).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return app.CannotRunError(errors.New("not approved; nothing was sent"), "")
	}
	return nil
}

func interactive(d app.Deps) bool {
	if d.StdinIsTerminal != nil {
		return d.StdinIsTerminal()
	}
	f, ok := d.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// applyHeld applies a held OneFile run's plan as a new run, files the held input and remembers
// the rows applied.
func (r *runner) applyHeld(ctx context.Context, run *Run, plan *load.Plan) error {
	j, st := r.j, r.st
	held := run.Archive
	newID := NewRunID(r.now())
	start := r.now()
	repDir := filepath.Join(j.Report, newID)
	log := r.log.With("run_id", newID, "approves", run.ID)
	if err := st.StartRun(Run{ID: newID, Job: j.Name, JobPath: absPath(j.Path), File: held, Started: start, Report: repDir, Target: j.TargetKey()}); err != nil {
		return app.CannotRunError(err, "")
	}
	// The differ's content hashes of the held file's rows, for remembering what was applied:
	// the file is validated again (the plan keeps values, not the hashes diffing compares).
	dif, err := st.NewDiffer(j.Name, j.TargetKey())
	if err != nil {
		return app.CannotRunError(err, "")
	}
	tmp, err := os.MkdirTemp("", "bulk-approve-")
	if err != nil {
		return app.CannotRunError(err, "")
	}
	defer os.RemoveAll(tmp)
	vout, verr := app.Validate(ctx, r.d, app.InputOptions{Files: []string{held}, Kind: j.Kind, HeaderRow: j.HeaderRow, MapFile: j.Map, ReportDir: tmp,
		DateOrder: j.DateOrder, Strict: j.Strict, Quiet: true, Keep: func(row *pipeline.Row) bool { dif.Classify(row); return true }})
	if vout == nil {
		_ = st.FinishRun(newID, "failed", held, map[string]any{"error": verr.Error(), "approves": run.ID})
		return app.CannotRunError(fmt.Errorf("cannot read the held file again: %w; nothing was sent", verr), "")
	}
	difCounts := dif.Finish()

	t := j.Target
	o := app.ApplyOptions{Plan: run.Plan, TokenFile: t.TokenFile, ReportDir: repDir, Concurrency: t.Concurrency, Rate: t.Rate, Patience: time.Duration(t.Patience),
		Yes: true, Quiet: true, Drain: 30 * time.Second, CredentialsDir: r.credentialsDir(newID)} // Yes: the approver has just said so, after seeing the target
	if sqlstore.IsPostgres(j.State) {
		// A shared state: the run ledger and the organisation's lock live there, as for the
		// job's own runs (runner.go), so loads on other machines see what approving sends.
		o.State = j.State
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	if o.Rate == 0 {
		o.Rate = 300
	}
	log.Info("applying the held run's plan", "plan", run.Plan)
	out, aerr := app.ApplyPlan(ctx, r.d.WithEnvAlias(app.TokenEnv, t.TokenEnv), o)
	if out == nil || out.Load == nil || out.Load.NotStarted {
		// Nothing was sent: the run stays held, to be approved again once the cause is fixed.
		msg := "nothing was sent"
		if aerr != nil {
			msg = aerr.Error()
		}
		_ = st.FinishRun(newID, "failed", held, map[string]any{"error": msg, "approves": run.ID})
		if aerr == nil {
			aerr = app.CannotRunError(errors.New("the plan could not be applied; nothing was sent"), "")
		}
		return aerr
	}
	applied := map[[2]any]bool{} // (sheet, row) of the plan's rows done on OneFile
	stale := 0
	for _, res := range out.Load.Results {
		switch {
		case res.Status == load.StatusOK, res.Status == load.StatusSkipped && strings.HasPrefix(res.Message, "already done"):
			applied[[2]any{res.Item.Src.Sheet, res.Item.Row}] = true
		case res.Status == load.StatusStale:
			stale++
		}
	}
	for _, g := range out.Load.Leavers {
		dif.Archived(g)
	}
	srcs := vout.Report.Sources()
	n, cerr := st.Commit(ctx, dif, newID, func(src, row int) bool {
		return src < len(srcs) && srcs[src] != nil && applied[[2]any{srcs[src].Sheet, row}]
	})
	if cerr != nil {
		log.Error("cannot record what was sent; the next run will send it again", "err", cerr)
	}
	if run.Summary == nil {
		run.Summary = map[string]any{}
	}
	run.Summary["approved_as"] = newID
	if err := st.FinishRun(run.ID, "approved", held, run.Summary); err != nil {
		log.Error("cannot record the approval", "err", err)
	}
	c := out.Counts
	summary := map[string]any{"run_id": newID, "approves": run.ID, "plan": run.Plan, "report": repDir,
		"rows_read": c.Read, "rows_valid": c.Valid, "rows_rejected": c.Rejected, "sent": out.Load.Counts[load.StatusOK],
		"stale": stale, "remembered": n}
	r.keptCredentials(log, newID, summary)
	outcome, code := "done", app.OK
	switch {
	case aerr != nil:
		outcome, code = "failed", app.KindOf(aerr)
		summary["error"] = aerr.Error()
	case !c.Clean():
		outcome, code = "failed", app.Rejected
	}
	archived, ferr := File(held, j.Archive, outcome)
	if ferr != nil {
		left := held
		if archived != "" {
			left = archived
		}
		log.Error("cannot archive the input; it is left where it is", "file", left, "err", ferr)
		summary["error"] = fmt.Sprintf("the plan was applied, but the held file could not be filed under %s: %v; it is left at %s", filepath.Join(j.Archive, outcome), ferr, left)
		outcome, code, archived = "failed", app.Worse(code, app.CannotRun), left
	}
	summary["archive"], summary["status"] = archived, outcome
	if err := st.FinishRun(newID, outcome, archived, summary); err != nil {
		log.Error("cannot record the run's outcome", "err", err)
	}
	fmt.Fprintf(r.d.Stdout, "Applied the plan of run %s as run %s: %d sent, %d stale (OneFile changed since the plan; not sent), %d rejected. Report: %s\n",
		run.ID, newID, out.Load.Counts[load.StatusOK], stale, c.Rejected, repDir)
	log.Info("run finished", "status", outcome, "exit", code.String(), "sent", out.Load.Counts[load.StatusOK], "stale", stale, "archive", archived)
	summary["diff"] = difCounts
	r.ended(ctx, log, newID, outcome, summary, start)
	if code != app.OK {
		return &app.Error{Kind: code, Err: aerr}
	}
	return nil
}

// resendHeld sends a held run of a target without plans (an export, PeopleFluent): the held
// file is taken back into processing/ and run again as if the thresholds allowed it.
func (r *runner) resendHeld(ctx context.Context, run *Run) error {
	j := r.j
	held := run.Archive
	newID := NewRunID(r.now())
	dir := filepath.Join(j.Inputs.Folder, "processing")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return app.CannotRunError(err, "")
	}
	claimed := filepath.Join(dir, newID+"-"+strings.TrimPrefix(filepath.Base(held), run.ID+"-"))
	if err := os.Rename(held, claimed); err != nil {
		return app.CannotRunError(fmt.Errorf("cannot take the held file back: %w", err), "")
	}
	if run.Summary == nil {
		run.Summary = map[string]any{}
	}
	run.Summary["approved_as"] = newID
	if err := r.st.FinishRun(run.ID, "approved", held, run.Summary); err != nil {
		// The file is in processing/: the job's next run sends it. Say so rather than send
		// with a history that still calls the run held.
		return app.CannotRunError(fmt.Errorf("cannot record the approval of run %s: %w", run.ID, err),
			"The held file is now in "+dir+"; the job's next run sends it.")
	}
	code := r.processFile(ctx, r.log.With("run_id", newID, "approves", run.ID), newID, claimed, false, true)
	if code != app.OK {
		return &app.Error{Kind: code}
	}
	return nil
}

// saveHeld records a held run's plan (when the target made one) and writes its held summary.
func (r *runner) saveHeld(log *slog.Logger, runID, repDir string, why []string, counts DiffCounts, planPath string, summary map[string]any) {
	var plan *load.Plan
	if planPath != "" {
		p, err := load.ReadPlan(planPath)
		if err != nil {
			log.Error("cannot read the held run's plan back; approving it will send the file again", "err", err)
		} else if err := r.st.RecordPlan(runID, planPath); err != nil {
			log.Error("cannot record the held run's plan; approving it will send the file again", "err", err)
		} else {
			plan = p
			summary["plan"] = planPath
			summary["would"] = map[string]int64{"create": p.Counts[load.PlanCreate], "update": p.Counts[load.PlanUpdate],
				"unchanged": p.Counts[load.PlanUnchanged], "conflict": p.Counts[load.PlanConflict], "reject": p.Counts[load.PlanReject]}
		}
	}
	path, err := WriteHeld(repDir, why, counts, plan)
	if err != nil {
		log.Error("cannot write the held summary", "err", err)
		return
	}
	summary["held_summary"] = path
}
