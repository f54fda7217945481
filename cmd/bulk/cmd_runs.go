package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/nightly"
)

func newRunsCmd(a *App) *cobra.Command {
	var state, nightlyState string
	var limit int
	var nightlyRuns bool
	cmd := &cobra.Command{
		Use:   "runs [--nightly [JOB.yaml]] [show ID]",
		Short: "List the loads recorded in the run ledger, or show one",
		Long: `runs lists the loads recorded in the run ledger, newest first: when, where to, the mode, how
it ended and its counts. 'bulk runs show ID' prints one run and the result of each of its rows.

The ledger is $XDG_STATE_HOME/bulk/ledger.db (else ~/.local/state/bulk/ledger.db; on Windows
%LOCALAPPDATA%\bulk\ledger.db) unless --state is given. --nightly lists the runs of nightly jobs
instead; give the job file to list one job's runs from its own state (a job that sets state:).`,
		Example: `  bulk runs
  bulk runs show 12
  bulk runs --state ./ledger.db
  bulk runs --nightly
  bulk runs --nightly nightly-learners.yaml
  bulk runs show 20261125T020001-1a2b`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if nightlyRuns {
				ns, err := nightly.StatePlace(state, nightlyState)
				if err != nil {
					return err
				}
				return nightly.ListRuns(a.Stdout, a.Stderr, strings.Join(args, ""), ns, limit)
			}
			if len(args) > 0 {
				return cannotRun(fmt.Errorf("unexpected %q", args[0]), "A job file goes with --nightly: 'bulk runs --nightly JOB.yaml'.")
			}
			if state == "" {
				// A fresh machine has no ledger yet: that is an empty history, not a failure.
				if path, err := ledger.DefaultPlace(a.Getenv); err == nil && !sqlstore.IsURL(path) {
					if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
						fmt.Fprintf(a.Stderr, "No runs recorded yet (no run ledger at %s). Loads with --sandbox are not recorded; give --state PATH for another ledger.\n", path)
						return nil
					}
				}
			}
			led, err := openRunsLedger(a, state)
			if err != nil {
				return err
			}
			defer led.Close()
			runs, err := led.Runs(cmd.Context(), limit)
			if err != nil {
				return cannotRun(err, "")
			}
			if len(runs) == 0 {
				fmt.Fprintf(a.Stderr, "No runs recorded in %s yet.\n", led.Path())
				return nil
			}
			return ledger.WriteRuns(a.Stdout, runs, ledger.ProcessAlive)
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one run and the result of each of its rows",
		Example: `  bulk runs show 12                      # a load, from the run ledger
  bulk runs show 20261125T020001-1a2b3c  # a nightly run, from the nightly state`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil && strings.Contains(args[0], "T") {
				ns, err := nightly.StatePlace(state, nightlyState)
				if err != nil {
					return err
				}
				return nightly.ShowRun(a.Stdout, "", ns, args[0]) // a nightly run ID: 20261125T020001-1a2b
			}
			if err != nil {
				return cannotRun(fmt.Errorf("run ID %q is not a number", args[0]), "Run 'bulk runs' to see them.")
			}
			led, err := openRunsLedger(a, state)
			if err != nil {
				return err
			}
			defer led.Close()
			r, err := led.Run(cmd.Context(), id)
			if errors.Is(err, ledger.ErrNoRun) {
				return cannotRun(err, "Run 'bulk runs' to see them.")
			}
			if err != nil {
				return cannotRun(err, "")
			}
			rs, err := led.Results(cmd.Context(), id)
			if err != nil {
				return cannotRun(err, "")
			}
			return ledger.WriteRun(a.Stdout, r, rs, ledger.ProcessAlive)
		},
	}
	cmd.PersistentFlags().StringVar(&state, "state", "", "run ledger `PATH`, or a postgres:// URL shared by several machines (default $BULK_STATE_URL, else bulk/ledger.db in $XDG_STATE_HOME, or %LOCALAPPDATA% on Windows)")
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list (0: all)")
	cmd.Flags().BoolVar(&nightlyRuns, "nightly", false, "list the runs of nightly jobs ('bulk run') instead of loads")
	cmd.PersistentFlags().StringVar(&nightlyState, "nightly-state", "", "state database of nightly jobs (default $BULK_STATE_DIR/nightly.db)")
	cmd.AddCommand(show)
	return cmd
}

// openRunsLedger opens an existing ledger: listing runs must not create one where none was.
func openRunsLedger(a *App, path string) (*ledger.Ledger, error) {
	if path == "" {
		var err error
		if path, err = ledger.DefaultPlace(a.Getenv); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	if err := sqlstore.CheckPath(path, "run ledger"); err != nil {
		return nil, cannotRun(err, "")
	}
	if _, err := os.Stat(path); err != nil && !sqlstore.IsURL(path) {
		return nil, cannotRun(fmt.Errorf("no run ledger at %s", path), "Nothing has been loaded with this ledger yet; give another with --state PATH.")
	}
	led, err := ledger.Open(path)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	return led, nil
}
