package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/pipeline/report"
)

// bindInput adds the flags of every command that reads and validates input: validate, export,
// load.
func bindInput(cmd *cobra.Command, o *app.InputOptions) {
	fs := cmd.Flags()
	fs.StringVar(&o.Kind, "kind", "", "what the input holds (see 'bulk kinds'); detected from the headers when not given")
	fs.StringVar(&o.Sheet, "sheet", "", "read only this sheet of a workbook (a CSV file is read whole)")
	fs.IntVar(&o.HeaderRow, "header-row", 0, "the row `N` that holds the column names (default: found among the first 20 rows)")
	fs.BoolVar(&o.IncludeHidden, "include-hidden", false, "also read the sheets a workbook hides (passed over with a notice by default)")
	fs.StringVar(&o.MapFile, "map", "", "YAML `FILE` mapping your headers to field names (Learner Forename: FirstName)")
	fs.StringVar(&o.ReportDir, "report", "bulk-report", "`DIR` for rejects.csv, rejects.xlsx and summary.json (created if absent)")
	fs.StringVar(&o.Delimiter, "delimiter", "", "CSV delimiter: , ; tab or | (sniffed when not given)")
	fs.StringVar(&o.DateOrder, "date-order", "dmy", "how to read dates like 03/04/2026: dmy (UK) or mdy")
	fs.BoolVar(&o.Strict, "strict", false, "warnings reject rows too")
	cmd.RegisterFlagCompletionFunc("kind", completeKindFlag)
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only errors")
	fs.IntVar(&o.Workers, "workers", 0, "goroutines checking rows (default: one per core)")
	fs.Var(&o.MaxPart, "max-part-size", "the most a workbook's sheet may expand to when unzipped, e.g. 4GiB (default 1GiB; also lifts the compression check; see docs/xlsx.md)")
	fs.IntVar(&o.MaxProblems, "max-problems", report.DefaultMaxProblems, "list at most `N` problems in rejects.csv (the rest are counted; -1: no limit)")
	bindBOM(fs, &o.NoBOM)
}

// bindBOM adds --csv-bom (validate, export, load, push).
func bindBOM(fs *pflag.FlagSet, noBOM *bool) {
	fs.Var(app.BOMFlag{NoBOM: noBOM}, "csv-bom", app.BOMFlagUsage)
	fs.Lookup("csv-bom").NoOptDefVal = "true"
}

func newValidateCmd(a *App) *cobra.Command {
	var o app.InputOptions
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check spreadsheets and write a reject report; nothing is sent anywhere",
		Long: `validate reads CSV and XLSX files, checks every row against the rules of its kind, and writes
a report you can act on into --report DIR: rejects.csv (one line per problem), rejects.xlsx (the
rejected rows as they were, bad cells marked, ready to fix and validate again) and summary.json.

The kind of each file or sheet is detected from its headers unless --kind is given.

` + exitStatusHelp,
		Example: `  bulk validate samples/term-start.xlsx
  bulk validate --kind onefile-users --report out learners.csv
  bulk validate --map my-headers.yaml --date-order mdy export.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			out, err := app.Validate(cmd.Context(), a.deps(), o)
			if err != nil {
				return err
			}
			if !o.Quiet {
				fmt.Fprintln(a.Stderr, out.Checked.SummaryLine())
			}
			return rowsRejected(!out.Counts.Clean())
		},
	}
	bindInput(cmd, &o)
	return cmd
}
