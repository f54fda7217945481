package nightly

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/lockfile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// The runner: it claims the files a job's folder holds, validates and diffs each once, holds a
// run whose changes exceed the job's thresholds, sends the rest to the job's target through the
// use cases of internal/app, remembers what was sent, and files the input. Its errors are
// *app.Error: the front end maps their Kind (cmd/bulk: to exit statuses).

// RunOptions are the options of RunJob (bulk run's flags).
type RunOptions struct {
	Watch    bool          // keep polling the folder
	Check    bool          // only check the job file
	Full     bool          // send every valid row, not only new and changed ones
	Interval time.Duration // how often Watch looks at the folder
}

// targets are the target types a job may name; validate sends nothing.
var targets = map[string]bool{"validate": true, "onefile": true, "export": true, "peoplefluent": true}

// runner runs one job's files.
type runner struct {
	d   app.Deps
	log *slog.Logger
	j   *Job
	st  *State
	// lock is the job's lock, held while the runner is open: watched (app.LockGuard) when shared.
	lock *Lock
	// leavers and leaverLimit are the run's on_missing: archive (missing.go), for send.
	leavers     func(*load.User) bool
	leaverLimit func(n int) string
}

// RunJob runs the job in jobPath on the files that are ready (bulk run): once, or with Watch
// until ctx is done. log gets a line per step, for cron's mail or a journal.
func RunJob(ctx context.Context, d app.Deps, log *slog.Logger, jobPath string, o RunOptions) error {
	if o.Watch && o.Interval <= 0 {
		// Zero would poll the folder in a busy loop.
		return app.CannotRunError(fmt.Errorf("--interval %s: give how long to wait between looks at the folder, such as 30s or 1m", o.Interval), "")
	}
	j, err := Load(jobPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return app.CannotRunError(err, "Check the job file's path.")
		}
		return app.CannotRunError(err, "Fix the job file; 'bulk run --check JOB.yaml' checks it without running.")
	}
	if j.Kind != "" {
		// A mistyped kind must fail the check, not every night's file after it was claimed.
		if _, err := app.KindByName(j.Kind); err != nil {
			var ae *app.Error
			if errors.As(err, &ae) {
				ae.Err = fmt.Errorf("%s: kind: %w", jobPath, ae.Err)
				ae.Hint = strings.TrimSpace(ae.Hint + " Fix the kind in the job file, or leave it out to detect it from the headers.")
			}
			return err
		}
	}
	if o.Check {
		fmt.Fprintf(d.Stdout, "%s: job %q is ready: files %s in %s go to %s.\n", jobPath, j.Name, j.Inputs.Glob, j.Inputs.Folder, j.Target.Type)
		if n := j.Notify; n != nil {
			fmt.Fprintf(d.Stdout, "Runs that end %s are told to %s.\n", strings.Join(n.On, ", "), n.receivers())
		}
		return nil
	}
	if !targets[j.Target.Type] {
		return app.CannotRunError(fmt.Errorf("target type %s is not available in this build", j.Target.Type), "")
	}
	r, release, err := open(d, log.With("job", j.Name), j)
	if err != nil {
		return err
	}
	defer release()
	g, ctx := app.NewLockGuard(ctx)
	defer g.Stop()
	g.Watch(r.lock)
	worst := app.OK
	for {
		worst = app.Worse(worst, r.processReady(ctx, o))
		if !o.Watch || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(o.Interval):
		}
		if ctx.Err() != nil {
			break
		}
	}
	if lost := g.Lost(); lost != nil {
		return &app.Error{Kind: app.Interrupted, Err: lost, Hint: "Files being processed stay in processing/ with what was sent recorded: the job's next run, here or on another machine, finishes them."}
	}
	if ctx.Err() != nil && !o.Watch {
		return &app.Error{Kind: app.Interrupted, Err: errors.New("interrupted; files being processed stay in processing/ and their rows are recorded")}
	}
	if worst != app.OK {
		return &app.Error{Kind: worst}
	}
	return nil
}

// open takes the job's lock and opens its state: what a run of the job holds while it runs.
func open(d app.Deps, log *slog.Logger, j *Job) (*runner, func(), error) {
	if err := os.MkdirAll(j.Archive, 0o700); err != nil { // archived inputs and reports: personal data
		return nil, nil, app.CannotRunError(fmt.Errorf("cannot create the archive folder: %w", err), "")
	}
	// A state shared by several machines holds the job's lock too (AcquireShared): a lock file
	// in this machine's archive folder would not keep another machine's run of the job out.
	var lock *Lock
	var st *State
	var err error
	const busy = "Wait for the other run to finish; a killed run releases the lock by itself."
	if sqlstore.IsPostgres(j.State) {
		if st, err = OpenState(j.State); err != nil {
			return nil, nil, app.CannotRunError(err, "")
		}
		if lock, err = AcquireShared(st.db, j); err != nil {
			st.Close()
			return nil, nil, app.CannotRunError(err, busy)
		}
	} else {
		if lock, err = Acquire(filepath.Join(j.Archive, j.Name+".lock")); err != nil {
			return nil, nil, app.CannotRunError(err, busy)
		}
		if st, err = OpenState(j.State); err != nil {
			lock.Release()
			return nil, nil, app.CannotRunError(err, "")
		}
	}
	if lock.Stale != "" {
		log.Warn("an earlier run did not finish cleanly", "detail", lock.Stale)
	}
	r := &runner{d: d, log: log, j: j, st: st, lock: lock}
	if j.Target.Type == "onefile" {
		if err := r.prepareCredentials(); err != nil {
			lock.Release()
			st.Close()
			return nil, nil, app.CannotRunError(err, "Name a folder the job's user may create under credentials.folder in the job file.")
		}
	}
	return r, func() {
		if lock.Shared() {
			lock.Release() // on its connection of st's: before st closes
			st.Close()
			return
		}
		st.Close()
		lock.Release()
	}, nil
}

// prepareCredentials makes the job's credentials folder (0700, also when it existed with a
// looser mode) and removes the runs' logins older than credentials.keep.
func (r *runner) prepareCredentials() error {
	c := r.j.Credentials
	if err := os.MkdirAll(c.Folder, 0o700); err != nil {
		return fmt.Errorf("cannot create the credentials folder: %w", err)
	}
	if err := os.Chmod(c.Folder, 0o700); err != nil {
		return fmt.Errorf("cannot make the credentials folder %s private: %w", c.Folder, err)
	}
	ents, err := os.ReadDir(c.Folder)
	if err != nil {
		return fmt.Errorf("cannot list the credentials folder: %w", err)
	}
	cutoff := r.now().Add(-time.Duration(c.Keep))
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		p := filepath.Join(c.Folder, e.Name())
		if err := os.RemoveAll(p); err != nil {
			r.log.Error("cannot remove logins older than credentials.keep", "folder", p, "err", err)
			continue
		}
		r.log.Info("removed new users' logins older than credentials.keep", "folder", p, "keep", time.Duration(c.Keep).String())
	}
	return nil
}

// credentialsDir is where run runID's new logins go.
func (r *runner) credentialsDir(runID string) string {
	return filepath.Join(r.j.Credentials.Folder, runID)
}

// keptCredentials notes in the summary and the log where run runID's new logins are, if it made any.
func (r *runner) keptCredentials(log *slog.Logger, runID string, summary map[string]any) {
	if r.j.Target.Type != "onefile" {
		return
	}
	p := filepath.Join(r.credentialsDir(runID), "credentials.csv")
	if _, err := os.Stat(p); err != nil {
		return
	}
	summary["credentials"] = p
	log.Warn("new users' logins are kept in a private file: hand them out, then delete it (it is removed after credentials.keep)",
		"credentials", p, "keep", time.Duration(r.j.Credentials.Keep).String())
}

func (r *runner) now() time.Time {
	if r.d.Now != nil {
		return r.d.Now()
	}
	return time.Now()
}

func (r *runner) processReady(ctx context.Context, o RunOptions) app.Kind {
	j, log := r.j, r.log
	ready, waiting, skipped, err := Ready(j, r.now())
	if err != nil {
		log.Error("cannot list the input folder", "folder", j.Inputs.Folder, "err", err)
		return app.CannotRun
	}
	for _, sk := range skipped {
		log.Warn("not claimed", "file", filepath.Base(sk.Path), "why", sk.Why)
	}
	for _, w := range waiting {
		log.Info("not yet stable; left for a later run", "file", filepath.Base(w))
	}
	if len(ready) == 0 && !o.Watch {
		log.Info("no file ready", "folder", j.Inputs.Folder, "glob", j.Inputs.Glob)
	}
	worst := app.OK
	// Files left in processing/ belong to runs that died (this run holds the job's lock): run
	// them again first. Whatever they had sent is recorded, so nothing is sent twice.
	left, _ := filepath.Glob(filepath.Join(j.Inputs.Folder, "processing", "*"))
	for _, p := range left {
		if ctx.Err() != nil || strings.HasSuffix(p, ".done") {
			continue
		}
		runID := NewRunID(r.now())
		orig, claimed, err := Resume(j, p, runID)
		if errors.Is(err, ErrClaimed) {
			continue
		}
		if err != nil {
			log.Warn("not resumed", "file", filepath.Base(p), "err", err)
			continue
		}
		log.Warn("resuming a file an earlier run left unfinished", "file", orig, "run_id", runID)
		worst = app.Worse(worst, r.processFile(ctx, r.log.With("run_id", runID, "file", orig), runID, claimed, o.Full, false))
	}
	for _, p := range ready {
		if ctx.Err() != nil {
			break
		}
		runID := NewRunID(r.now())
		claimed, err := Claim(j, p, runID)
		if errors.Is(err, ErrClaimed) {
			continue
		}
		if err != nil {
			log.Warn("cannot claim", "file", filepath.Base(p), "err", err)
			continue
		}
		worst = app.Worse(worst, r.processFile(ctx, r.log.With("run_id", runID, "file", filepath.Base(p)), runID, claimed, o.Full, false))
	}
	return worst
}

// processFile runs one claimed file: validate and diff it (once), hold it if a threshold says
// so, else send it, remember what was sent, and file the input.
func (r *runner) processFile(ctx context.Context, log *slog.Logger, runID, claimed string, full, approved bool) app.Kind {
	j, st := r.j, r.st
	start := r.now()
	repDir := filepath.Join(j.Report, runID)
	if err := st.StartRun(Run{ID: runID, Job: j.Name, JobPath: absPath(j.Path), File: claimed, Started: start, Report: repDir, Target: j.TargetKey()}); err != nil {
		log.Error("cannot record the run", "err", err)
		return app.CannotRun
	}
	// record notes how the run ended without filing the input (interrupted, busy): it stays in
	// processing/ for the next run.
	record := func(outcome string, summary map[string]any) {
		if err := st.FinishRun(runID, outcome, claimed, summary); err != nil {
			log.Error("cannot record the run's outcome", "status", outcome, "err", err)
		}
	}
	finish := func(outcome string, code app.Kind, summary map[string]any) app.Kind {
		archived, err := File(claimed, j.Archive, outcome) // done/, failed/ or held/
		if err != nil {
			// Not done: a file that stays in processing/ is run again by the next run (what was
			// sent is recorded, so nothing goes twice), and nobody must think it filed.
			left := claimed
			if archived != "" {
				left = archived // moved, but its .done marker could not follow
			}
			log.Error("cannot archive the input; it is left where it is", "file", left, "meant_for", filepath.Join(j.Archive, outcome), "err", err)
			summary["error"] = fmt.Sprintf("the run was %s, but its input could not be filed under %s: %v; it is left at %s", outcome, filepath.Join(j.Archive, outcome), err, left)
			summary["meant_status"] = outcome
			outcome, code, archived = "failed", app.Worse(code, app.CannotRun), left
		}
		summary["archive"] = archived
		summary["status"] = outcome
		if err := st.FinishRun(runID, outcome, archived, summary); err != nil {
			log.Error("cannot record the run's outcome", "err", err)
		}
		log.Info("run finished", append([]any{"status", outcome, "exit", code.String(), "duration_ms", time.Since(start).Milliseconds()}, flat(summary)...)...)
		r.ended(ctx, log, runID, outcome, summary, start)
		return code
	}

	d, err := st.NewDiffer(j.Name, j.TargetKey())
	if err != nil {
		log.Error("cannot read the job state", "err", err)
		return finish("failed", app.CannotRun, map[string]any{"error": err.Error()})
	}
	sends := j.Target.Type != "validate"
	diffing := sends && !full && j.DiffOn()
	in := app.InputOptions{Files: []string{claimed}, Kind: j.Kind, HeaderRow: j.HeaderRow, MapFile: j.Map, ReportDir: repDir, DateOrder: j.DateOrder, Strict: j.Strict, Quiet: true}
	// One validation: every valid row is diffed as it passes, and with diffing on only the new
	// and changed ones go on to the target.
	in.Keep = func(row *pipeline.Row) bool { return d.Classify(row) != Unchanged || !diffing }
	if j.Strict {
		in.Observe = &strictRows{d: d}
	}
	if sends && j.Archives() {
		// Leavers: every key of tonight's file is noted, rejected rows' too (missing.go).
		present := newPresentKeys()
		if in.Observe != nil {
			in.Observe = teeReporter{in.Observe, present}
		} else {
			in.Observe = present
		}
		r.leavers = func(u *load.User) bool { return d.Leaver(present, u) }
		r.leaverLimit = func(n int) string {
			// The gate held the run if too many known rows were missing; this guards runs the
			// gate lets through (--full), as the same threshold.
			if !approved && j.Thresholds.MaxMissing.Exceeded(n, d.Counts.Known) {
				return fmt.Sprintf("%d of %d known users would be archived; the job allows at most %s missing (max_missing)", n, d.Counts.Known, j.Thresholds.MaxMissing)
			}
			return ""
		}
		defer func() { r.leavers, r.leaverLimit = nil, nil }()
	}
	var counts DiffCounts
	var held []string
	in.Gate = func(rep *report.Report) error {
		counts = d.Finish()
		c := rep.Counts()
		log.Info("planned", "stage", "plan", "rows_read", c.Read, "rejected", c.Rejected,
			"new", counts.New, "changed", counts.Changed, "unchanged", counts.Unchanged, "missing", counts.Missing)
		if why := j.Thresholds.Evaluate(counts); len(why) > 0 && !approved && !full {
			held = why
			rep.Set("held", true)
			rep.Set("held_because", why)
			rep.Set("diff", counts)
			return &app.Error{Kind: app.Held, Err: errors.New("held: " + strings.Join(why, "; "))}
		}
		if sends {
			log.Info("sending", "stage", "send", "target", j.Target.Type, "rows", d.ToSend())
		}
		return nil
	}
	// moved counts the unchanged rows the OneFile load found gone from OneFile and planned as
	// new (load.Result.NotOnTarget) and that did not fail: no longer skipped, so sent.
	var moved int64
	var archived, leavers int
	loaded := func(out *load.Outcome) {
		for _, g := range out.Leavers {
			leavers++
			if g.Status == load.StatusOK {
				archived++
			}
			d.Archived(g)
		}
		if leavers > 0 && !out.Interrupted {
			log.Info("leavers: users no longer in the full export", "stage", "send", "leavers", leavers, "archived", archived)
		}
		var gone [][2]int
		for _, r := range out.Results {
			if !r.NotOnTarget {
				continue
			}
			gone = append(gone, [2]int{r.Item.Src.Index, r.Item.Row})
			if r.Status != load.StatusFailed && r.Status != load.StatusRejected {
				moved++
			}
		}
		if n := d.Resend(func(yield func(int, int) bool) {
			for _, g := range gone {
				if !yield(g[0], g[1]) {
					return
				}
			}
		}); n > 0 {
			log.Warn("rows sent before are no longer on the target: planned as new", "stage", "plan", "not_on_target", n)
		}
		counts = d.Counts
	}
	var sent, skipped int64
	in.Finish = func(rep *report.Report) {
		rep.Set("diff", counts)
		if held != nil {
			if j.DiffOn() {
				rep.Set("skipped_unchanged", int64(counts.Unchanged))
			}
			// The plan a held OneFile run made (written before the report): what approving
			// it would do, counted here, listed with diffs in held.txt.
			planPath := filepath.Join(repDir, "plan.json")
			if p, err := load.ReadPlan(planPath); err == nil {
				rep.Set("plan", planPath)
				rep.Set("would", map[string]int64{"create": p.Counts[load.PlanCreate], "update": p.Counts[load.PlanUpdate],
					"unchanged": p.Counts[load.PlanUnchanged], "conflict": p.Counts[load.PlanConflict], "reject": p.Counts[load.PlanReject], "archive": int64(len(p.Leavers))})
			}
			rep.Set("held_summary", filepath.Join(repDir, HeldFile))
			return
		}
		// Every count comes from the report of the send, not from the diff's plan: the target
		// may reject rows validation passed (a reference naming nobody on OneFile), and --full
		// skips nothing. So rows_read = rows_valid + rows_rejected, and rows_valid = sent +
		// skipped_unchanged; rows found gone from the target were sent, not skipped.
		after := rep.Counts()
		skipped = after.Skipped - moved
		if sends {
			sent = after.Valid - skipped
		}
		rep.Set("run_id", runID)
		rep.Set("sent", sent)
		rep.Set("skipped_unchanged", skipped)
		rep.Set("held", false)
	}
	log.Info("validating", "stage", "plan")
	res, err := r.send(ctx, in, loaded)
	rep := res.rep
	summary := map[string]any{"run_id": runID, "report": repDir}
	r.keptCredentials(log, runID, summary)
	if rep != nil {
		c := rep.Counts()
		summary["rows_read"], summary["rows_valid"], summary["rows_rejected"], summary["diff"] = c.Read, c.Valid, c.Rejected, counts
		summary["sent"], summary["skipped_unchanged"] = sent, skipped
	}
	if j.Archives() && sends {
		summary["leavers"], summary["archived"] = leavers, archived
	}
	switch {
	case held != nil && err != nil && app.KindOf(err) == app.Held:
		// Nothing is sent; the rows diffing finds unchanged are the ones sending would skip
		// (with diffing off, none), so the history says both as a sent run's does.
		summary["held_because"] = held
		summary["sent"] = 0
		summary["skipped_unchanged"] = 0
		if j.DiffOn() {
			summary["skipped_unchanged"] = counts.Unchanged
		}
		r.saveHeld(log, runID, repDir, held, counts, res.plan, summary)
		cmd := ApproveCommand(j, runID)
		log.Warn("held: nothing was sent", "why", strings.Join(held, "; "), "approve_with", cmd)
		fmt.Fprintf(r.d.Stderr, "%s: held, nothing sent: %s. Read %s, then send it with:\n  %s\n",
			filepath.Base(claimed), strings.Join(held, "; "), filepath.Join(repDir, HeldFile), cmd)
		return finish("held", app.Held, summary)
	case err != nil && ctx.Err() != nil:
		// Interrupted: the file stays in processing/ for the operator; what was sent is recorded.
		record("interrupted", summary)
		return app.Interrupted
	case errors.Is(err, lockfile.ErrLocked):
		// Another load (by hand, or another job) is sending to the organisation: nothing was
		// sent. The file stays in processing/, where the next run takes it up first.
		summary["error"] = err.Error()
		summary["status"] = "busy"
		record("busy", summary)
		log.Warn("not sent: another load is sending to the organisation; the file stays in processing/ for the next run",
			"stage", "send", "err", err)
		r.ended(ctx, log, runID, "busy", summary, start)
		return app.CannotRun
	case err != nil && rep == nil:
		log.Error("cannot validate", "stage", "plan", "err", err)
		summary["error"] = err.Error()
		return finish("failed", app.KindOf(err), summary)
	case err != nil:
		log.Error("cannot send", "stage", "send", "err", err)
		summary["error"] = err.Error()
		return finish("failed", app.KindOf(err), summary)
	}
	if sends {
		srcs := rep.Sources()
		if _, err := st.Commit(ctx, d, runID, func(src, row int) bool {
			return src < len(srcs) && !rep.Rejected(srcs[src], row)
		}); err != nil {
			log.Error("cannot record what was sent; the next run will send it again", "err", err)
		}
	}
	if !rep.Counts().Clean() {
		return finish("failed", app.Rejected, summary)
	}
	return finish("done", app.OK, summary)
}

// ended closes a run's log with its one human line and notifies whoever the job names.
func (r *runner) ended(ctx context.Context, log *slog.Logger, runID, status string, summary map[string]any, start time.Time) {
	now := r.now()
	e := newEvent(r.j, runID, status, summary, now.Sub(start), now)
	log.Info(e.Line())
	r.notify(ctx, log, e)
}

// sent is what a target's use case left: the run's report (nil when the run stopped before
// validating) and, for a OneFile run held by a threshold, the plan it saved.
type sent struct {
	rep  *report.Report
	plan string
}

// send runs the job's target on in: the use case that validates the file and sends its rows
// (a held OneFile run: plans them). loaded is told the OneFile loader's outcome before the
// report is written. Rows rejected or failed are in the report, not an error.
func (r *runner) send(ctx context.Context, in app.InputOptions, loaded func(*load.Outcome)) (sent, error) {
	rep, plan, err := r.target(ctx, in, loaded)
	return sent{rep: rep, plan: plan}, err
}

func (r *runner) target(ctx context.Context, in app.InputOptions, loaded func(*load.Outcome)) (*report.Report, string, error) {
	j, t := r.j, r.j.Target
	switch t.Type {
	case "validate":
		out, err := app.Validate(ctx, r.d, in)
		if out == nil {
			return nil, "", err
		}
		return out.Report, "", err
	case "export":
		ek, err := app.FindExportKind(j.Kind)
		if err != nil {
			return nil, "", app.CannotRunError(err, "")
		}
		if err := os.MkdirAll(t.Folder, 0o755); err != nil {
			return nil, "", app.CannotRunError(fmt.Errorf("cannot create the export folder: %w", err), "")
		}
		// The run's payload goes into the job's folder as JOB-RUNID.csv (or .xml).
		o := app.ExportOptions{InputOptions: in, KindName: j.Kind, Out: filepath.Join(t.Folder, j.Name+"-"+filepath.Base(in.ReportDir)+ek.Ext),
			MonthNames: t.MonthNames}
		out, err := app.Export(ctx, r.d, o)
		if out == nil {
			return nil, "", err
		}
		return out.Report, "", err
	case "peoplefluent":
		ek, err := app.FindExportKind(j.Kind)
		if err != nil {
			return nil, "", app.CannotRunError(err, "")
		}
		if t.Endpoint != "" && t.Endpoint != ek.Endpoint {
			return nil, "", app.CannotRunError(fmt.Errorf("target.endpoint %s does not take %s rows (they go to %s)", t.Endpoint, j.Kind, ek.Endpoint), "")
		}
		o := app.LoadPeopleFluentOptions{ExportOptions: app.ExportOptions{InputOptions: in, KindName: j.Kind, MonthNames: t.MonthNames},
			Base: t.Base, KeyFile: t.KeyFile, User: t.User, ChunkRows: t.ChunkRows, Retries: 4, CheckUsers: t.CheckUsers, Verify: t.Verify}
		// The push ledger in the job's state folder: a run that was killed mid-push resumes it.
		o.State = pushledger.Beside(j.State)
		if o.ChunkRows == 0 {
			o.ChunkRows = 5000
		}
		if t.Folder != "" {
			o.Out = filepath.Join(t.Folder, j.Name+"-"+filepath.Base(in.ReportDir)+ek.Ext)
		}
		out, err := app.LoadPeopleFluent(ctx, r.d.WithEnvAlias(app.PFKeyEnv, t.KeyEnv), o)
		if out == nil {
			return nil, "", err
		}
		return out.Export.Report, "", err
	case "onefile":
		o := app.LoadOnefileOptions{InputOptions: in, URL: t.URL, Env: t.Env, Org: t.Organisation, TokenFile: t.TokenFile,
			Mode: t.Mode, Concurrency: t.Concurrency, Rate: t.Rate, Patience: time.Duration(t.Patience), Yes: t.ConfirmLive, Drain: 30 * time.Second,
			PlanWhenHeld: true, Loaded: loaded, CredentialsDir: r.credentialsDir(filepath.Base(in.ReportDir)),
			Leavers: r.leavers, LeaverLimit: r.leaverLimit}
		if sqlstore.IsPostgres(j.State) { // a shared state: the run ledger and load lock live there too
			o.State = j.State
		}
		if o.Mode == "" {
			// A nightly full export carries changes to people already loaded: update them.
			o.Mode = "upsert"
		}
		if o.Concurrency == 0 {
			o.Concurrency = 4
		}
		if o.Rate == 0 {
			o.Rate = 300
		}
		out, err := app.LoadOnefile(ctx, r.d.WithEnvAlias(app.TokenEnv, t.TokenEnv), o)
		if out == nil {
			return nil, "", err
		}
		return out.Report, out.Plan, err
	}
	return nil, "", app.CannotRunError(fmt.Errorf("target type %s is not available in this build", t.Type), "")
}

// strictRows diffs the rows --strict rejected for their warnings alone: they are in the file, so
// their keys are not missing from it, though nothing of them is sent or remembered.
type strictRows struct {
	d     *Differ
	fatal map[*pipeline.Source]bool // tables missing a required column: their rows are not read
}

func (s *strictRows) Table(src *pipeline.Source, _ *pipeline.Kind, ps []pipeline.Problem) {
	for _, p := range ps {
		if p.Severity == pipeline.Error {
			if s.fatal == nil {
				s.fatal = map[*pipeline.Source]bool{}
			}
			s.fatal[src] = true
		}
	}
}

func (s *strictRows) Row(r *pipeline.Row, out pipeline.Outcome) {
	if out == pipeline.Rejected && !r.HasErrors() && !r.NotData && !s.fatal[r.Rec.Src] {
		s.d.Classify(r)
	}
}

func (s *strictRows) Problem(pipeline.Problem) {}

func flat(m map[string]any) []any {
	var out []any
	for k, v := range m {
		switch k {
		case "rows_read", "rows_valid", "rows_rejected", "sent", "skipped_unchanged", "archive":
			out = append(out, k, v)
		}
	}
	return out
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
