package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/runs"
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
			o := runs.Options{State: state, NightlyState: nightlyState, Nightly: nightlyRuns, Job: strings.Join(args, ""), Limit: limit}
			return runs.List(cmd.Context(), a.deps(), o)
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one run and the result of each of its rows",
		Example: `  bulk runs show 12                      # a load, from the run ledger
  bulk runs show 20261125T020001-1a2b3c  # a nightly run, from the nightly state`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runs.Show(cmd.Context(), a.deps(), runs.Options{State: state, NightlyState: nightlyState}, args[0])
		},
	}
	cmd.PersistentFlags().StringVar(&state, "state", "", "run ledger `PATH`, or a postgres:// URL shared by several machines (default $BULK_STATE_URL, else bulk/ledger.db in $XDG_STATE_HOME, or %LOCALAPPDATA% on Windows)")
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list (0: all)")
	cmd.Flags().BoolVar(&nightlyRuns, "nightly", false, "list the runs of nightly jobs ('bulk run') instead of loads")
	cmd.PersistentFlags().StringVar(&nightlyState, "nightly-state", "", "state database of nightly jobs (default $BULK_STATE_DIR/nightly.db)")
	cmd.AddCommand(show)
	return cmd
}
