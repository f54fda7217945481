package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/nightly"
	"github.com/bulkload/bulk/pipeline/report"
)

// The targets a nightly job can send to. Each runs the same code as its command, with the job's
// settings in place of flags and the job's row filter (diffing) in c.keep.
func init() {
	nightlyTargets["onefile"] = nightlyOnefile
	nightlyTargets["export"] = nightlyExport
	nightlyTargets["peoplefluent"] = nightlyPeopleFluent
}

// nightlyExport writes the run's payload into the job's folder as JOB-RUNID.csv (or .xml).
func nightlyExport(ctx context.Context, a *App, j *nightly.Job, c *checkFlags, files []string) (*report.Report, error) {
	ek, err := findExportKind(j.Kind)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if err := os.MkdirAll(j.Target.Folder, 0o755); err != nil {
		return nil, cannotRun(fmt.Errorf("cannot create the export folder: %w", err), "")
	}
	e := exportFlags{checkFlags: *c, out: filepath.Join(j.Target.Folder, j.Name+"-"+filepath.Base(c.reportDir)+ek.ext)}
	res, err := e.export(ctx, a, j.Kind, files)
	if res == nil {
		return nil, err
	}
	return res.rep, nil
}

// nightlyPeopleFluent exports the run's rows and pushes them, like 'bulk load peoplefluent'.
func nightlyPeopleFluent(ctx context.Context, a *App, j *nightly.Job, c *checkFlags, files []string) (*report.Report, error) {
	t := j.Target
	ek, err := findExportKind(j.Kind)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if t.Endpoint != "" && t.Endpoint != ek.endpoint {
		return nil, cannotRun(fmt.Errorf("target.endpoint %s does not take %s rows (they go to %s)", t.Endpoint, j.Kind, ek.endpoint), "")
	}
	o := loadPFFlags{exportFlags: exportFlags{checkFlags: *c}, base: t.Base, keyFile: t.KeyFile, chunkRows: t.ChunkRows, retries: 4}
	o.resume.state = pushledger.PathIn(filepath.Dir(j.State)) // the job's state folder: a re-run resumes its push
	if o.chunkRows == 0 {
		o.chunkRows = 5000
	}
	if t.Folder != "" {
		o.out = filepath.Join(t.Folder, j.Name+"-"+filepath.Base(c.reportDir)+ek.ext)
	}
	rep, err := o.run(ctx, envAlias(a, envPFKey, t.KeyEnv), j.Kind, files)
	return rep, rejectedIsDone(err)
}

func nightlyOnefile(ctx context.Context, a *App, j *nightly.Job, c *checkFlags, files []string) (*report.Report, error) {
	t := j.Target
	o := loadOnefileOpts{check: *c, url: t.URL, env: t.Env, org: t.Organisation, tokenFile: t.TokenFile,
		mode: t.Mode, concurrency: t.Concurrency, rate: t.Rate, yes: t.ConfirmLive, drain: 30 * time.Second}
	if o.mode == "" {
		// A nightly full export carries changes to people already loaded: update them.
		o.mode = "upsert"
	}
	if o.concurrency == 0 {
		o.concurrency = 4
	}
	if o.rate == 0 {
		o.rate = 300
	}
	rep, err := runLoadOnefile(ctx, envAlias(a, tokenEnv, t.TokenEnv), &o, files)
	return rep, rejectedIsDone(err)
}

// rejectedIsDone drops ExitRejected from a target's error: rows rejected or failed are in the
// report the target returns with it, and the run itself finished. Any other error stands.
func rejectedIsDone(err error) error {
	var ee *ExitError
	if errors.As(err, &ee) && ee.Code == ExitRejected {
		return nil
	}
	return err
}

// envAlias returns a with the variable a command reads its secret from (name) taken from the
// variable the job file names instead (from), when it names one.
func envAlias(a *App, name, from string) *App {
	if from == "" {
		return a
	}
	app := *a
	app.Getenv = func(k string) string {
		if k == name {
			return a.Getenv(from)
		}
		return a.Getenv(k)
	}
	return &app
}
