package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/internal/app"
)

// newPushCmd is 'bulk push', holding one subcommand per target system.
func newPushCmd(a *App, targets ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Send a payload file made by 'bulk export' to the target system",
	}
	cmd.AddCommand(targets...)
	return cmd
}

func newPushPFCmd(a *App) *cobra.Command {
	var o app.PushOptions
	cmd := &cobra.Command{
		Use:   "peoplefluent --base URL --endpoint NAME FILE",
		Short: "Post a payload to a PeopleFluent LMS contentHandler endpoint and report each row",
		Long: `push peoplefluent posts a payload file to {base}/contentHandler/{endpoint} with the LMS's system
authentication and writes what the LMS said about every row to DIR/results.csv
(file,row,status,message; row as a spreadsheet shows the pushed file, header = row 1). The LMS's
raw answers are kept in DIR/raw/chunk-0001.txt, ... .

The system key is read from the ` + app.PFKeyEnv + ` environment variable, or from --key-file (a file
readable only by you, the key on its first line). It is never accepted as a flag value.

CSV payloads go in chunks of --chunk-rows data rows, each with the header, one after another, so
one bad chunk does not block the rest. The whole file is checked before anything is sent. A chunk
the LMS did not take (connection refused, 503) is retried with backoff. A chunk whose outcome is
unknown (500, connection lost after sending, an answer that is not the LMS's) has the rows that
cannot be duplicated by a second post (updates) sent again; the others are reported 'unknown':
check them in the LMS. courses XML is posted whole.

Resuming: every chunk is recorded in a push ledger (--state). Running the same command again on
the same file sends only what the LMS did not answer; rows left 'unknown' are sent only with
--resend-unknown. An earlier results.csv in DIR is kept as results-1.csv (-2, ...), raw/ as raw-1/.

Exit status:
  0    every row loaded (warnings are fine; read them in results.csv)
  1    some rows failed or are unknown (see results.csv)
  2    could not run: bad flags, no key, the file is not a valid payload, the LMS refused the key,
       the URL is wrong or the LMS cannot be reached
  130  interrupted (Ctrl-C); rows not sent are listed as such in results.csv`,
		Example: `  export ` + app.PFKeyEnv + `="$(cat ~/.config/bulk/pf-key)"
  bulk push peoplefluent --base https://lms.example.com/ekp/ --endpoint trainingHistoryCsv out/training.csv
  bulk push peoplefluent --base https://lms.example.com/ekp/ --endpoint courses --key-file ~/.pf-key out/courses.xml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(cmd, fmt.Errorf("give exactly one payload file (got %d)", len(args)))
			}
			o.File = args[0]
			out, err := app.Push(cmd.Context(), a.deps(), o)
			if out != nil && (!o.Quiet || err != nil || out.Problems() > 0) {
				fmt.Fprintln(a.Stderr, out.SummaryLine())
			}
			if err != nil {
				return err
			}
			return rowsRejected(out.Problems() > 0)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Base, "base", "", "LMS root `URL`, e.g. https://lms.example.com/ekp/")
	fs.StringVar(&o.Endpoint, "endpoint", "", "trainingHistoryCsv, externalTrainingCsv or courses")
	fs.IntVar(&o.ChunkRows, "chunk-rows", peoplefluent.DefaultChunkRows, "data rows per request for CSV payloads")
	fs.IntVar(&o.Retries, "retries", peoplefluent.DefaultRetries, "retries of a chunk the LMS did not take")
	fs.StringVar(&o.KeyFile, "key-file", "", "read the system key from `PATH` instead of "+app.PFKeyEnv)
	fs.StringVar(&o.User, "user", "", "system user `NAME` sent with the key, the admin user ID your LMS expects (default $"+app.PFUserEnv+", else bulk)")
	fs.StringVar(&o.ReportDir, "report", "bulk-report", "`DIR` for results.csv and raw/ (created if absent)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only warnings and errors")
	bindBOM(fs, &o.NoBOM)
	bindPushLedger(cmd, &o.PushLedgerOptions)
	_ = cmd.MarkFlagRequired("base")
	_ = cmd.MarkFlagRequired("endpoint")
	return cmd
}

// bindPushLedger adds the push ledger's flags (bulk push and bulk load peoplefluent).
func bindPushLedger(cmd *cobra.Command, o *app.PushLedgerOptions) {
	cmd.Flags().StringVar(&o.State, "state", "", "push ledger `PATH` (default: "+pushledger.FileName+" beside the OneFile run ledger)")
	cmd.Flags().BoolVar(&o.ResendUnknown, "resend-unknown", false, "send again rows an earlier run left 'unknown' (after checking they are not in the LMS)")
	cmd.Flags().BoolVar(&o.PushAgain, "push-again", false, "send the whole file again as a new push, even what an earlier push of it loaded")
}
