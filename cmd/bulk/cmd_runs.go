package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/onefile/ledger"
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

The ledger is $XDG_STATE_HOME/bulk/ledger.db (else ~/.local/state/bulk/ledger.db) unless --state
is given. --nightly lists the runs of nightly jobs instead; give the job file to list one job's
runs from its own state (a job that sets state:).`,
		Example: `  bulk runs
  bulk runs show 12
  bulk runs --state ./ledger.db
  bulk runs --nightly
  bulk runs --nightly nightly-learners.yaml
  bulk runs show 20261125T020001-1a2b`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if nightlyRuns {
				return nightly.ListRuns(a.Stdout, a.Stderr, strings.Join(args, ""), nightlyState, limit)
			}
			if len(args) > 0 {
				return cannotRun(fmt.Errorf("unexpected %q", args[0]), "A job file goes with --nightly: 'bulk runs --nightly JOB.yaml'.")
			}
			if state == "" {
				// A fresh machine has no ledger yet: that is an empty history, not a failure.
				if path, err := ledger.DefaultPath(a.Getenv); err == nil {
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
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTARTED\tTOOK\tTARGET\tORG\tMODE\tSTATUS\tROWS")
			for _, r := range runs {
				mode := r.Mode
				if r.DryRun {
					mode += " (dry run)"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04"), took(r),
					r.APIRoot, r.Org, mode, runStatus(r), counts(r.Counts))
			}
			return tw.Flush()
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
				return nightly.ShowRun(a.Stdout, "", nightlyState, args[0]) // a nightly run ID: 20261125T020001-1a2b
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
			w := a.Stdout
			fmt.Fprintf(w, "Run %d\n", r.ID)
			fmt.Fprintf(w, "  started   %s (took %s)\n", r.Started.Local().Format(time.DateTime), took(r))
			fmt.Fprintf(w, "  target    %s, organisation %d\n", r.APIRoot, r.Org)
			mode := r.Mode
			if r.DryRun {
				mode += ", dry run (nothing sent)"
			}
			fmt.Fprintf(w, "  mode      %s\n", mode)
			fmt.Fprintf(w, "  inputs    %s\n", strings.Join(r.Inputs, ", "))
			if r.Report != "" {
				fmt.Fprintf(w, "  report    %s\n", r.Report)
			}
			fmt.Fprintf(w, "  status    %s\n", runStatus(r))
			fmt.Fprintf(w, "  rows      %s\n\n", counts(r.Counts))
			rs, err := led.Results(cmd.Context(), id)
			if err != nil {
				return cannotRun(err, "")
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FILE\tSHEET\tROW\tKIND\tACTION\tSTATUS\tONEFILE ID\tMESSAGE")
			for _, x := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", x.File, x.Sheet, x.Row, x.Kind, x.Action, x.Status, x.OneFileID, x.Message)
			}
			return tw.Flush()
		},
	}
	cmd.PersistentFlags().StringVar(&state, "state", "", "run ledger `PATH` (default $XDG_STATE_HOME/bulk/ledger.db)")
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
		if path, err = ledger.DefaultPath(a.Getenv); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, cannotRun(fmt.Errorf("no run ledger at %s", path), "Nothing has been loaded with this ledger yet; give another with --state PATH.")
	}
	led, err := ledger.Open(path)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	return led, nil
}

func took(r ledger.Run) string {
	if r.Finished.IsZero() {
		return "-"
	}
	return r.Finished.Sub(r.Started).Round(time.Second).String()
}

// runStatus says "running" only for a run whose process is still there: a run killed with
// kill -9 never recorded its end.
func runStatus(r ledger.Run) string {
	if r.Status != "running" {
		return r.Status
	}
	if r.PID > 0 && processAlive(r.PID) {
		return "running"
	}
	return "stopped (no end recorded: killed?)"
}

func counts(c map[string]int64) string {
	if len(c) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range []string{"ok", "rejected", "failed", "skipped"} {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// processAlive reports whether a process with this ID exists (signal 0 checks without
// sending anything; where signals do not exist the answer is "no", and the run shows as stopped).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
