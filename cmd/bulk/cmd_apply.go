package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/app"
)

func newApplyCmd(a *App) *cobra.Command {
	var o app.ApplyOptions
	cmd := &cobra.Command{
		Use:   "apply PLAN",
		Short: "Carry out a plan a dry run wrote (plan.json), re-checking each row against OneFile",
		Long: `apply sends exactly what a dry run planned ('bulk load onefile --dry-run' writes plan.json into its
report folder, readable by you only): the creates, updates (the fields listed) and assignments, to
the OneFile API root and organisation the plan names. Just before each row is written it is checked
against OneFile again: a row whose OneFile record changed since the plan is not sent and ends
'stale', with the fields that moved. Applying a plan twice sends nothing the second time.

The token comes from $` + app.TokenEnv + ` or --token-file, as for a load; the plan holds none.

` + exitStatusHelp,
		Example: `  BULK_ONEFILE_TOKEN=... bulk load onefile --env beta --org 5740 --mode upsert --dry-run term.xlsx
  BULK_ONEFILE_TOKEN=... bulk apply bulk-report/plan.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Plan = args[0]
			out, err := app.ApplyPlan(cmd.Context(), a.deps(), o)
			if out != nil {
				out.Render(a.Stdout, a.Stderr, o.Quiet)
			}
			if err != nil {
				return err
			}
			return rowsRejected(!out.Counts.Clean() || out.Load != nil && !out.Load.OK())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.TokenFile, "token-file", "", "read the customer token from `PATH` (else $"+app.TokenEnv+")")
	fs.StringVar(&o.State, "state", "", "run ledger `PATH`, or a postgres:// URL shared by several machines (default $BULK_STATE_URL, else bulk/ledger.db in $XDG_STATE_HOME, or %LOCALAPPDATA% on Windows)")
	fs.StringVar(&o.ReportDir, "report", "bulk-report", "`DIR` for results.csv, rejects.csv and summary.json")
	fs.IntVar(&o.Concurrency, "concurrency", 4, "requests in flight at once")
	fs.IntVar(&o.Rate, "rate", 300, "most API calls per minute, all workers together")
	fs.DurationVar(&o.Patience, "patience", api.DefaultPatience, "how long to wait out OneFile answering every call 429 before rows fail")
	fs.BoolVar(&o.Yes, "yes", false, "confirm applying to live without asking")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only errors")
	fs.DurationVar(&o.Drain, "drain", 30*time.Second, "after Ctrl-C, how long calls in flight may take to finish")
	fs.BoolVar(&o.AllowInsecureHTTP, "insecure-http", false, "allow a plan whose API root is plain http:// to another host")
	return cmd
}
