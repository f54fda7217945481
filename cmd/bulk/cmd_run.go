package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/nightly"
)

func newRunCmd(a *App) *cobra.Command {
	var o nightly.RunOptions
	var once bool
	var logFormat string
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
			log, err := newLogger(a, logFormat)
			if err != nil {
				return cannotRun(err, "")
			}
			if once && o.Watch {
				return cannotRun(errors.New("--once and --watch cannot go together"), "")
			}
			return nightly.RunJob(cmd.Context(), a.deps(), log, args[0], o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&once, "once", false, "process the files that are ready, then exit (the default; for cron)")
	fs.BoolVar(&o.Watch, "watch", false, "keep polling the folder and run for each new file")
	fs.BoolVar(&o.Check, "check", false, "only check the job file")
	fs.BoolVar(&o.Full, "full", false, "send every valid row, not only new and changed ones")
	fs.DurationVar(&o.Interval, "interval", 30*time.Second, "how often --watch looks at the folder")
	fs.StringVar(&logFormat, "log-format", "text", "log lines as text or json")
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
			return nightly.Approve(cmd.Context(), a.deps(), log, statePath, args[0])
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "the state database of the job (default: the default state path)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log lines as text or json")
	return cmd
}
