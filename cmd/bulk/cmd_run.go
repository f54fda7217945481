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
	var o nightly.ApproveOptions
	var logFormat string
	cmd := &cobra.Command{
		Use:   "approve [JOB.yaml] RUN_ID",
		Short: "Show what a held run would do, then send it",
		Long: `approve sends a nightly run that was held because its changes exceeded the job's thresholds.
It first shows the held summary: why it was held, how many known rows the file lacked, and for a
OneFile job the saved plan's users to create and to change, with each field's old and new value.
It asks you to type yes on a terminal; elsewhere give --yes (without, nothing is sent, exit 2).

A OneFile run applies exactly the saved plan ('bulk apply'): each row is checked against OneFile
again just before it is written, and a row whose OneFile user changed since the plan is stale and
not sent (exit 1). Other targets validate and send the held file again. The held file then moves
to done/ or failed/. Give the job file when the job keeps its own state (state: in the job
file); the command 'bulk run' prints when a run is held works as printed.

` + exitStatusHelp,
		Example: `  bulk approve 20261125T020001-1a2b
  bulk approve /etc/bulk/nightly-learners.yaml 20261125T020001-1a2b
  bulk approve --yes 20261125T020001-1a2b   # unattended`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := newLogger(a, logFormat)
			if err != nil {
				return cannotRun(err, "")
			}
			o.RunID = args[len(args)-1]
			if len(args) == 2 {
				o.Job = args[0]
			}
			return nightly.Approve(cmd.Context(), a.deps(), log, o)
		},
	}
	cmd.Flags().StringVar(&o.State, "state", "", "the state database of the job (default: the job file's, else the default state path)")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "approve without asking (for scripts)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log lines as text or json")
	return cmd
}
