package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/internal/app"
)

func newLoadPFCmd(a *App) *cobra.Command {
	var o app.LoadPeopleFluentOptions
	cmd := &cobra.Command{
		Use:   "peoplefluent KIND FILE... --base URL",
		Short: "Validate, export and push to PeopleFluent LMS in one step",
		Long: `load peoplefluent does what 'bulk export' and 'bulk push peoplefluent' do, one after the other:
it checks the files as KIND (training-history, external-training or courses), writes the valid rows
as the payload of the matching contentHandler endpoint, and posts it to the LMS.

Every input row ends in the report (--report DIR): rows that failed bulk's checks, and rows the LMS
refused or warned about, are in rejects.csv and rejects.xlsx on their input file and row (rules
lms-failed and lms-warning), ready to fix and load again. The LMS's answers per payload row are in results.csv and
raw/, the payload in --out (default: DIR/payload-KIND.csv or .xml). Rows that failed the checks are
not sent; the valid ones are.

The system key is read from ` + app.PFKeyEnv + ` or --key-file, never from a flag value.

` + exitStatusHelp,
		Example: `  export ` + app.PFKeyEnv + `="$(cat ~/.config/bulk/pf-key)"
  bulk load peoplefluent training-history completions.xlsx --base https://lms.example.com/ekp/
  bulk load peoplefluent courses catalogue.xlsx --base https://lms.example.com/ekp/ --key-file ~/.pf-key`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(cmd, errors.New("say which kind to load: training-history, external-training or courses"))
			}
			o.KindName, o.Files = args[0], args[1:]
			_, err := loadPF(cmd.Context(), a, o)
			return err
		},
	}
	bindExport(cmd, &o.ExportOptions)
	fs := cmd.Flags()
	fs.StringVar(&o.Base, "base", "", "LMS root `URL`, e.g. https://lms.example.com/ekp/")
	fs.StringVar(&o.KeyFile, "key-file", "", "read the system key from `PATH` instead of "+app.PFKeyEnv)
	fs.StringVar(&o.User, "user", "", "system user `NAME` sent with the key, the admin user ID your LMS expects (default $"+app.PFUserEnv+", else bulk)")
	fs.IntVar(&o.ChunkRows, "chunk-rows", peoplefluent.DefaultChunkRows, "data rows per request for CSV payloads")
	fs.IntVar(&o.Retries, "retries", peoplefluent.DefaultRetries, "retries of a chunk the LMS did not take")
	bindPushLedger(cmd, &o.PushLedgerOptions)
	fs.BoolVar(&o.CheckUsers, "check-users", false, "before the push, reject rows whose user the LMS does not have (users200510Xml)")
	fs.BoolVar(&o.Verify, "verify", false, "after the push, read the records back and report rows the LMS does not hold as sent (training-history)")
	_ = cmd.MarkFlagRequired("base")
	return cmd
}

// loadPF runs the use case, shows its outcome and says how it ended.
func loadPF(ctx context.Context, a *App, o app.LoadPeopleFluentOptions) (*app.LoadPeopleFluentOutcome, error) {
	out, err := app.LoadPeopleFluent(ctx, a.deps(), o)
	if out == nil {
		return nil, err
	}
	renderLoadPF(a, &o, out, err)
	if err != nil {
		return out, err
	}
	return out, rowsRejected(!out.Export.Counts.Clean())
}

// renderLoadPF prints what a PeopleFluent load did.
func renderLoadPF(a *App, o *app.LoadPeopleFluentOptions, out *app.LoadPeopleFluentOutcome, err error) {
	exp := out.Export
	c := exp.Counts
	if out.Push == nil {
		if exp.Rows != 0 {
			return // the push did not start: its error says why
		}
		rejects := exp.RejectsFile() // the workbook when one was written, as the other loaders say
		msg := app.NothingChanged("push", c, rejects)
		if msg == "" {
			msg = fmt.Sprintf("Nothing to push: no row passed the checks. Fix the rows in %s and load again.", rejects)
		}
		// Every row unchanged is a good run with nothing to say under -q (a nightly run logs it).
		if !o.Quiet || c.Rejected > 0 || c.Skipped == 0 {
			fmt.Fprintln(a.Stderr, msg)
		}
		return
	}
	sum := out.Push.Summary
	if !o.Quiet || err != nil || sum.Problems() > 0 {
		fmt.Fprintln(a.Stderr, out.Push.SummaryLine())
	}
	if err == nil && (!o.Quiet || c.Rejected > 0) {
		fmt.Fprintf(a.Stderr, "Loaded: %s; %s %s traced to their input rows. %s\n", app.PushLine(sum), thousands(int64(out.Traced)),
			plural(int64(out.Traced), "LMS answer", "LMS answers"), exp.Checked.SummaryLine())
	}
}
