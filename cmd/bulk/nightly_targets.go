package main

import (
	"context"
	"errors"
	"time"

	"github.com/bulkload/bulk/nightly"
	"github.com/bulkload/bulk/pipeline/report"
)

// The targets a nightly job can send to. Each runs the same code as its command, with the job's
// settings in place of flags and the job's row filter (diffing) in c.keep.
func init() {
	nightlyTargets["onefile"] = nightlyOnefile
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
	var rep *report.Report
	o.onReport = func(r *report.Report) { rep = r }
	app := *a
	if t.TokenEnv != "" {
		app.Getenv = func(k string) string {
			if k == tokenEnv {
				return a.Getenv(t.TokenEnv)
			}
			return a.Getenv(k)
		}
	}
	err := runLoadOnefile(ctx, &app, &o, files)
	var ee *ExitError
	if errors.As(err, &ee) && ee.Code == ExitRejected {
		err = nil // rows rejected or failed: the report says which; the run itself finished
	}
	if rep == nil && err == nil {
		err = errors.New("the load ended before validating")
	}
	return rep, err
}
