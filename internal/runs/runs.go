// Package runs is 'bulk runs': the history of loads (the OneFile run ledger) and of nightly
// runs (the nightly state), listed or shown one at a time. It sits above internal/app and
// nightly, which it reads, for the front ends (the command line, bulk ui) to call.
package runs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/nightly"
)

// Options are the options of List and Show ('bulk runs').
type Options struct {
	State        string // the run ledger: a path or a postgres:// URL ("" for the default)
	NightlyState string // the nightly jobs' state ("" for the default beside State)
	Nightly      bool   // list nightly runs instead of loads
	Job          string // with Nightly: list this job file's runs, from its own state
	Limit        int    // how many runs to list (0: all)
}

// List lists the loads recorded in the run ledger, newest first, or with Nightly the runs of
// nightly jobs. A machine that has no ledger yet has an empty history, not a failure.
func List(ctx context.Context, d app.Deps, o Options) error {
	if o.Nightly {
		ns, err := nightly.StatePlace(o.State, o.NightlyState)
		if err != nil {
			return err
		}
		return nightly.ListRuns(d.Stdout, d.Stderr, o.Job, ns, o.Limit)
	}
	if o.Job != "" {
		return app.CannotRunError(fmt.Errorf("unexpected %q", o.Job), "A job file goes with --nightly: 'bulk runs --nightly JOB.yaml'.")
	}
	if o.State == "" {
		if path, err := ledger.DefaultPlace(d.Getenv); err == nil && !sqlstore.IsURL(path) {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(d.Stderr, "No runs recorded yet (no run ledger at %s). Loads with --sandbox are not recorded; give --state PATH for another ledger.\n", path)
				return nil
			}
		}
	}
	led, err := openRunsLedger(d, o.State)
	if err != nil {
		return err
	}
	defer led.Close()
	runs, err := led.Runs(ctx, o.Limit)
	if err != nil {
		return app.CannotRunError(err, "")
	}
	if len(runs) == 0 {
		fmt.Fprintf(d.Stderr, "No runs recorded in %s yet.\n", led.Path())
		return nil
	}
	return ledger.WriteRuns(d.Stdout, runs, ledger.ProcessAlive)
}

// Show prints one run and the result of each of its rows: a load by its number (the run
// ledger), a nightly run by its ID (20261125T020001-1a2b, the nightly state).
func Show(ctx context.Context, d app.Deps, o Options, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil && strings.Contains(id, "T") {
		ns, err := nightly.StatePlace(o.State, o.NightlyState)
		if err != nil {
			return err
		}
		return nightly.ShowRun(d.Stdout, "", ns, id)
	}
	if err != nil {
		return app.CannotRunError(fmt.Errorf("run ID %q is not a number", id), "Run 'bulk runs' to see them.")
	}
	led, err := openRunsLedger(d, o.State)
	if err != nil {
		return err
	}
	defer led.Close()
	r, err := led.Run(ctx, n)
	if errors.Is(err, ledger.ErrNoRun) {
		return app.CannotRunError(err, "Run 'bulk runs' to see them.")
	}
	if err != nil {
		return app.CannotRunError(err, "")
	}
	rs, err := led.Results(ctx, n)
	if err != nil {
		return app.CannotRunError(err, "")
	}
	return ledger.WriteRun(d.Stdout, r, rs, ledger.ProcessAlive)
}

// openRunsLedger opens an existing ledger: listing runs must not create one where none was.
func openRunsLedger(d app.Deps, path string) (*ledger.Ledger, error) {
	if path == "" {
		var err error
		if path, err = ledger.DefaultPlace(d.Getenv); err != nil {
			return nil, app.CannotRunError(err, "")
		}
	}
	if err := sqlstore.CheckPath(path, "run ledger"); err != nil {
		return nil, app.CannotRunError(err, "")
	}
	if _, err := os.Stat(path); err != nil && !sqlstore.IsURL(path) {
		return nil, app.CannotRunError(fmt.Errorf("no run ledger at %s", path), "Nothing has been loaded with this ledger yet; give another with --state PATH.")
	}
	led, err := ledger.Open(path)
	if err != nil {
		return nil, app.CannotRunError(err, "")
	}
	return led, nil
}
