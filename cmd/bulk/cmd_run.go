package main

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

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/lockfile"
	"github.com/bulkload/bulk/nightly"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

func init() {
	register(newRunCmd)
	register(newApproveCmd)
}

// nightlyTarget sends the rows c.keep lets through to the job's target, writing its report
// into c.reportDir. It returns the target's report (failures marked rejected) and an error only
// when the run could not go on.
type nightlyTarget func(ctx context.Context, a *App, j *nightly.Job, c *checkFlags, files []string) (*report.Report, error)

// nightlyTargets are filled by the targets' own files; "validate" sends nothing.
var nightlyTargets = map[string]nightlyTarget{}

type runFlags struct {
	once, watch, check, full bool
	interval                 time.Duration
	logFormat                string
}

func newRunCmd(a *App) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run JOB.yaml",
		Short: "Run a job on the files dropped in its folder (for cron or a systemd timer)",
		Long: `run processes the files an MIS export drops into the job's folder, unattended.

A file is claimed only once it is stable (unchanged for inputs.settle, and with its .done marker
when the job asks for one) by moving it into processing/; afterwards it moves to archive/done/
(every row good), archive/failed/ (rows rejected or failed, or the run could not complete) or
archive/held/ (a threshold held it), named with the run ID. One report folder per run goes under
the job's report folder. A lock keeps two runs of one job from overlapping.

With diffing (the default), only rows that are new or changed since the last good run are sent;
--full sends everything. When the changes exceed the job's thresholds (max_changes, max_new,
max_missing), nothing is sent and the run is held (exit 3) until 'bulk approve RUN_ID'.

` + exitStatusHelp,
		Example: `  bulk run --check nightly-learners.yaml     # is the job file right?
  bulk run --once nightly-learners.yaml      # from cron: process what is there, then exit
  bulk run --watch nightly-learners.yaml     # keep polling the folder
  bulk run --once --log-format json job.yaml # machine-readable logs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJob(cmd.Context(), a, args[0], f)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&f.once, "once", false, "process the files that are ready, then exit (the default; for cron)")
	fs.BoolVar(&f.watch, "watch", false, "keep polling the folder and run for each new file")
	fs.BoolVar(&f.check, "check", false, "only check the job file")
	fs.BoolVar(&f.full, "full", false, "send every valid row, not only new and changed ones")
	fs.DurationVar(&f.interval, "interval", 30*time.Second, "how often --watch looks at the folder")
	fs.StringVar(&f.logFormat, "log-format", "text", "log lines as text or json")
	return cmd
}

func newLogger(a *App, format string) (*slog.Logger, error) {
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(a.Stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.Stderr, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func runJob(ctx context.Context, a *App, jobPath string, f runFlags) error {
	log, err := newLogger(a, f.logFormat)
	if err != nil {
		return cannotRun(err, "")
	}
	if f.once && f.watch {
		return cannotRun(errors.New("--once and --watch cannot go together"), "")
	}
	if f.watch && f.interval <= 0 {
		// Zero would poll the folder in a busy loop.
		return cannotRun(fmt.Errorf("--interval %s: give how long to wait between looks at the folder, such as 30s or 1m", f.interval), "")
	}
	j, err := nightly.Load(jobPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cannotRun(err, "Check the job file's path.")
		}
		return cannotRun(err, "Fix the job file; 'bulk run --check JOB.yaml' checks it without running.")
	}
	if j.Kind != "" {
		// A mistyped kind must fail the check, not every night's file after it was claimed.
		if _, err := kindArg(j.Kind); err != nil {
			var ee *ExitError
			if errors.As(err, &ee) {
				ee.Err = fmt.Errorf("%s: kind: %w", jobPath, ee.Err)
				ee.Hint = strings.TrimSpace(ee.Hint + " Fix the kind in the job file, or leave it out to detect it from the headers.")
			}
			return err
		}
	}
	if f.check {
		fmt.Fprintf(a.Stdout, "%s: job %q is ready: files %s in %s go to %s.\n", jobPath, j.Name, j.Inputs.Glob, j.Inputs.Folder, j.Target.Type)
		return nil
	}
	if j.Target.Type != "validate" && nightlyTargets[j.Target.Type] == nil {
		return cannotRun(fmt.Errorf("target type %s is not available in this build", j.Target.Type), "")
	}
	log = log.With("job", j.Name)
	if err := os.MkdirAll(j.Archive, 0o755); err != nil {
		return cannotRun(fmt.Errorf("cannot create the archive folder: %w", err), "")
	}
	lock, err := nightly.Acquire(filepath.Join(j.Archive, j.Name+".lock"))
	if err != nil {
		return cannotRun(err, "Wait for the other run to finish; a killed run releases the lock by itself.")
	}
	defer lock.Release()
	if lock.Stale != "" {
		log.Warn("an earlier run did not finish cleanly", "detail", lock.Stale)
	}
	st, err := nightly.OpenState(j.State)
	if err != nil {
		return cannotRun(err, "")
	}
	defer st.Close()
	worst := ExitOK
	for {
		code := processReady(ctx, a, log, j, st, f)
		worst = worse(worst, code)
		if !f.watch || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(f.interval):
		}
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil && !f.watch {
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted; files being processed stay in processing/ and their rows are recorded")}
	}
	if worst != ExitOK {
		return &ExitError{Code: worst}
	}
	return nil
}

// worse picks the exit status that matters more to the person reading cron's mail.
func worse(a, b int) int {
	rank := map[int]int{ExitOK: 0, ExitRejected: 1, ExitHeld: 2, ExitCannotRun: 3, ExitInterrupted: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func processReady(ctx context.Context, a *App, log *slog.Logger, j *nightly.Job, st *nightly.State, f runFlags) int {
	ready, waiting, err := nightly.Ready(j, time.Now())
	if err != nil {
		log.Error("cannot list the input folder", "folder", j.Inputs.Folder, "err", err)
		return ExitCannotRun
	}
	for _, w := range waiting {
		log.Info("not yet stable; left for a later run", "file", filepath.Base(w))
	}
	if len(ready) == 0 && !f.watch {
		log.Info("no file ready", "folder", j.Inputs.Folder, "glob", j.Inputs.Glob)
	}
	worst := ExitOK
	// Files left in processing/ belong to runs that died (this run holds the job's lock): run
	// them again first. Whatever they had sent is recorded, so nothing is sent twice.
	left, _ := filepath.Glob(filepath.Join(j.Inputs.Folder, "processing", "*"))
	for _, p := range left {
		if ctx.Err() != nil || strings.HasSuffix(p, ".done") {
			continue
		}
		runID := nightly.NewRunID(time.Now())
		orig := filepath.Base(p)
		if i := strings.Index(orig, "-"); i >= 0 {
			if k := strings.Index(orig[i+1:], "-"); k >= 0 {
				orig = orig[i+1+k+1:] // strip the dead run's ID (date-hex-)
			}
		}
		claimed := filepath.Join(filepath.Dir(p), runID+"-"+orig)
		if err := os.Rename(p, claimed); err != nil {
			continue
		}
		log.Warn("resuming a file an earlier run left unfinished", "file", orig, "run_id", runID)
		worst = worse(worst, processFile(ctx, a, log.With("run_id", runID, "file", orig), j, st, runID, claimed, f.full, false))
	}
	for _, p := range ready {
		if ctx.Err() != nil {
			break
		}
		runID := nightly.NewRunID(time.Now())
		claimed, err := nightly.Claim(p, runID)
		if errors.Is(err, nightly.ErrClaimed) {
			continue
		}
		if err != nil {
			log.Warn("cannot claim", "file", filepath.Base(p), "err", err)
			continue
		}
		worst = worse(worst, processFile(ctx, a, log.With("run_id", runID, "file", filepath.Base(p)), j, st, runID, claimed, f.full, false))
	}
	return worst
}

// processFile runs one claimed file: plan (validate and diff), hold if a threshold says so,
// else send, remember what was sent, and file the input.
func processFile(ctx context.Context, a *App, log *slog.Logger, j *nightly.Job, st *nightly.State, runID, claimed string, full, approved bool) int {
	start := time.Now()
	repDir := filepath.Join(j.Report, runID)
	if err := st.StartRun(nightly.Run{ID: runID, Job: j.Name, JobPath: absPath(j.Path), Target: j.TargetKey(), File: claimed, Started: start, Report: repDir}); err != nil {
		log.Error("cannot record the run", "err", err)
		return ExitCannotRun
	}
	finish := func(outcome string, code int, summary map[string]any) int {
		archived, err := nightly.File(claimed, j.Archive, outcome) // done/, failed/ or held/
		if err != nil {
			log.Error("cannot archive the input", "err", err)
		}
		summary["archive"] = archived
		summary["status"] = outcome
		if err := st.FinishRun(runID, outcome, archived, summary); err != nil {
			log.Error("cannot record the run's outcome", "err", err)
		}
		log.Info("run finished", append([]any{"status", outcome, "exit", code, "duration_ms", time.Since(start).Milliseconds()}, flat(summary)...)...)
		return code
	}
	c := checkFlags{kind: j.Kind, mapFile: j.Map, reportDir: repDir, dateOrder: j.DateOrder, strict: j.Strict, quiet: true}

	// Plan: validate everything and sort valid rows into new, changed and unchanged.
	d, err := st.NewDiffer(j.Name, j.TargetKey())
	if err != nil {
		log.Error("cannot read the job state", "err", err)
		return finish("failed", ExitCannotRun, map[string]any{"error": err.Error()})
	}
	log.Info("validating", "stage", "plan")
	res, err := c.check(ctx, a, []string{claimed}, classifySink{d}, nil)
	if err != nil {
		code := ExitCannotRun
		if ctx.Err() != nil {
			// Interrupted: leave the file in processing/ for the operator, nothing was sent.
			st.FinishRun(runID, "interrupted", claimed, map[string]any{})
			return ExitInterrupted
		}
		log.Error("cannot validate", "stage", "plan", "err", err)
		return finish("failed", code, map[string]any{"error": err.Error()})
	}
	counts := d.Finish()
	summary := map[string]any{"run_id": runID, "rows_read": res.counts.Read, "rows_valid": res.counts.Valid,
		"rows_rejected": res.counts.Rejected, "diff": counts, "report": repDir}
	log.Info("planned", "stage", "plan", "rows_read", res.counts.Read, "rejected", res.counts.Rejected,
		"new", counts.New, "changed", counts.Changed, "unchanged", counts.Unchanged, "missing", counts.Missing)

	if why := j.Thresholds.Evaluate(counts); len(why) > 0 && !approved && !full {
		summary["held_because"] = why
		// Nothing is sent; the rows diffing finds unchanged are the ones sending would skip
		// (with diffing off, none), so the history says both as a sent run's does.
		summary["sent"] = 0
		summary["skipped_unchanged"] = 0
		if j.DiffOn() {
			summary["skipped_unchanged"] = counts.Unchanged
		}
		res.rep.Set("held", true)
		res.rep.Set("held_because", why)
		res.rep.Set("diff", counts)
		res.rep.Write()
		log.Warn("held: nothing was sent", "why", strings.Join(why, "; "), "approve_with", "bulk approve "+runID)
		fmt.Fprintf(a.Stderr, "%s: held, nothing sent: %s. Check the report in %s, then run 'bulk approve %s' to send it.\n",
			filepath.Base(claimed), strings.Join(why, "; "), repDir, runID)
		return finish("held", ExitHeld, summary)
	}

	rep := res.rep
	sends := j.Target.Type != "validate"
	if sends {
		if !full && j.DiffOn() {
			c.keep = func(r *pipeline.Row) bool { return d.Sends(r.Rec.Src.Index, r.Rec.Row) }
		}
		log.Info("sending", "stage", "send", "target", j.Target.Type, "rows", d.ToSend())
		rep, err = nightlyTargets[j.Target.Type](ctx, a, j, &c, []string{claimed})
		if err != nil {
			if ctx.Err() != nil {
				st.FinishRun(runID, "interrupted", claimed, summary)
				return ExitInterrupted
			}
			if errors.Is(err, lockfile.ErrLocked) {
				// Another load (by hand, or another job) is sending to the organisation: nothing
				// was sent. The file stays in processing/, where the next run takes it up first.
				summary["error"] = err.Error()
				summary["status"] = "busy"
				st.FinishRun(runID, "busy", claimed, summary)
				log.Warn("not sent: another load is sending to the organisation; the file stays in processing/ for the next run",
					"stage", "send", "err", err)
				return ExitCannotRun
			}
			log.Error("cannot send", "stage", "send", "err", err)
			summary["error"] = err.Error()
			return finish("failed", exitCodeOf(err), summary)
		}
		srcs := rep.Sources()
		if _, err := st.Commit(ctx, d, runID, func(src, row int) bool {
			return src < len(srcs) && !rep.Rejected(srcs[src], row)
		}); err != nil {
			log.Error("cannot record what was sent; the next run will send it again", "err", err)
		}
	}
	after := rep.Counts()
	// Every count comes from the report of the send, not from the diff's plan: the target may
	// reject rows validation passed (a reference naming nobody on OneFile), strict mode rejects
	// an unchanged row with a warning rather than skipping it, and --full skips nothing. So
	// rows_read = rows_valid + rows_rejected, and rows_valid = sent + skipped_unchanged.
	sent := int64(0)
	if sends {
		sent = after.Valid - after.Skipped
	}
	summary["rows_valid"] = after.Valid
	summary["rows_rejected"] = after.Rejected
	summary["sent"] = sent
	summary["skipped_unchanged"] = after.Skipped
	rep.Set("run_id", runID)
	rep.Set("diff", counts)
	rep.Set("sent", sent)
	rep.Set("skipped_unchanged", after.Skipped)
	rep.Set("held", false)
	if err := rep.Write(); err != nil {
		log.Error("cannot write the report", "err", err)
	}
	if after.Rejected > 0 {
		return finish("failed", ExitRejected, summary)
	}
	return finish("done", ExitOK, summary)
}

func exitCodeOf(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitCannotRun
}

// classifySink sorts valid rows by what diffing decides; it sends nothing.
type classifySink struct{ d *nightly.Differ }

func (s classifySink) Accept(r *pipeline.Row) error {
	s.d.Classify(r)
	return nil
}

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

func newApproveCmd(a *App) *cobra.Command {
	var statePath, logFormat string
	cmd := &cobra.Command{
		Use:   "approve RUN_ID",
		Short: "Send a run that a threshold held",
		Long: `approve sends a nightly run that was held because its changes exceeded the job's thresholds.
Read the held run's report first (its folder is printed by 'bulk run' and in the log). The file is
validated and diffed again, then sent as if the thresholds allowed it.

` + exitStatusHelp,
		Example: `  bulk approve 20261125T020001-1a2b`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := newLogger(a, logFormat)
			if err != nil {
				return cannotRun(err, "")
			}
			if statePath == "" {
				statePath = nightly.DefaultStatePath()
			}
			st, err := nightly.OpenState(statePath)
			if err != nil {
				return cannotRun(err, "")
			}
			defer st.Close()
			run, err := st.GetRun(args[0])
			if err != nil {
				return cannotRun(err, "Held runs are listed by 'bulk runs'; give --state if the job keeps its state elsewhere.")
			}
			if run.Status != "held" {
				return cannotRun(fmt.Errorf("run %s is %s, not held", run.ID, run.Status), "")
			}
			j, err := nightly.Load(run.JobPath)
			if err != nil {
				return cannotRun(err, "")
			}
			lock, err := nightly.Acquire(filepath.Join(j.Archive, j.Name+".lock"))
			if err != nil {
				return cannotRun(err, "")
			}
			defer lock.Release()
			held := run.Archive
			runID := nightly.NewRunID(time.Now())
			dir := filepath.Join(j.Inputs.Folder, "processing")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return cannotRun(err, "")
			}
			claimed := filepath.Join(dir, runID+"-"+strings.TrimPrefix(filepath.Base(held), run.ID+"-"))
			if err := os.Rename(held, claimed); err != nil {
				return cannotRun(fmt.Errorf("cannot take the held file back: %w", err), "")
			}
			if run.Summary == nil {
				run.Summary = map[string]any{}
			}
			run.Summary["approved_as"] = runID
			st.FinishRun(run.ID, "approved", held, run.Summary)
			code := processFile(cmd.Context(), a, log.With("job", j.Name, "run_id", runID, "approves", run.ID), j, st, runID, claimed, false, true)
			if code != ExitOK {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "the state database of the job (default: the default state path)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log lines as text or json")
	return cmd
}
