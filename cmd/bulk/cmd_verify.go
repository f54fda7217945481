package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
)

// newVerifyCmd is 'bulk verify', holding one subcommand per target system.
func newVerifyCmd(a *App) *cobra.Command {
	cmd, o := &cobra.Command{Use: "verify TARGET", Short: "Read back from a target what was sent to it, row by row (changes nothing)"}, app.VerifyPFOptions{}
	pf := &cobra.Command{
		Use:   "peoplefluent --base URL PAYLOAD|RESULTS.csv",
		Short: "Read training records back with trainingHistoryXml: confirmed, missing or different, per row",
		Long: `verify peoplefluent reads back, with the LMS's system authentication, the training records a
trainingHistoryCsv payload (or the results.csv of its push: rows the push failed are then skipped)
sent, and writes DIR/verify.csv: per row confirmed, missing, or different (naming the fields).
Up to 50 users are read one by one, more in one read since --since: docs/peoplefluent-verify.md.

` + exitStatusHelp,
		Example: `  bulk verify peoplefluent --base https://lms.example.com/ekp/ bulk-report/results.csv
  bulk verify peoplefluent --base https://lms.example.com/ekp/ --since 2h payload.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(cmd, fmt.Errorf("give exactly one payload or results.csv (got %d)", len(args)))
			}
			o.File = args[0]
			out, err := app.VerifyPeopleFluent(cmd.Context(), a.deps(), o)
			if err != nil {
				return err
			}
			out.WriteText(a.Stdout)
			return rowsRejected(out.Problems() > 0)
		},
	}
	fs := pf.Flags()
	fs.StringVar(&o.Base, "base", "", "LMS root `URL`, e.g. https://lms.example.com/ekp/")
	fs.StringVar(&o.KeyFile, "key-file", "", "read the system key from `PATH` instead of "+app.PFKeyEnv)
	fs.StringVar(&o.User, "user", "", "system user `NAME` sent with the key (default $"+app.PFUserEnv+", else bulk)")
	fs.StringVar(&o.Since, "since", "", "read only records updated since `WHEN`: 2h, 2026-09-05 or 2026-09-05T09:00Z")
	fs.StringVar(&o.ReportDir, "report", "bulk-report", "`DIR` for verify.csv")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only the summary and errors")
	bindBOM(fs, &o.NoBOM)
	_ = pf.MarkFlagRequired("base")
	cmd.AddCommand(pf)
	return cmd
}
