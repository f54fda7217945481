package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
)

// bindExport adds the flags of the commands that export: export, load peoplefluent.
func bindExport(cmd *cobra.Command, o *app.ExportOptions) {
	bindInput(cmd, &o.InputOptions)
	fs := cmd.Flags()
	fs.StringVarP(&o.Out, "out", "o", "", "`FILE` to write the payload to (replaced only when the export finishes)")
	fs.StringVar(&o.XSD, "xsd", "", "courses: check courses.xml against this schema `FILE` (your LMS's courses.xsd) with xmllint")
	fs.BoolVar(&o.MonthNames, "month-names", false, "training-history: write dates as 05-Sep-2026 09:00, not 05-09-2026 09:00")
	_ = fs.MarkHidden("kind") // the kind is the first argument
}

func newExportCmd(a *App) *cobra.Command {
	var o app.ExportOptions
	cmd := &cobra.Command{
		Use:   "export KIND FILE... -o OUT",
		Short: "Check spreadsheets and write the valid rows as a PeopleFluent LMS payload",
		Long: `export reads CSV and XLSX files of one kind, checks every row like 'bulk validate', and writes
the valid rows to OUT in the form a PeopleFluent LMS contentHandler endpoint takes:

  training-history   trainingHistoryCsv payload (CSV)
  external-training  externalTrainingCsv payload (CSV)
  courses            courses.xml (modules and their sessions)

CSV payloads are UTF-8 without a byte-order mark, RFC-4180 quoted, with CRLF line ends; headers are
the vendor's, in its order, for the columns your files have (plus the required ones). Dates, codes
and user IDs are written the way the LMS expects them (see docs/peoplefluent-formats.md).

Rejected rows are left out of the payload and listed in the report (--report DIR) with the reason;
fix them and export again. OUT is written to a temporary file and renamed when the export
finishes, so an interrupted run never leaves half a payload.

` + exitStatusHelp,
		Example: `  bulk export training-history completions.xlsx -o training.csv
  bulk export external-training --report out external.csv -o external-payload.csv
  bulk export courses catalogue.xlsx -o courses.xml --xsd courses.xsd`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(cmd, errors.New("say which kind to export: training-history, external-training or courses"))
			}
			o.KindName, o.Files = args[0], args[1:]
			out, err := app.Export(cmd.Context(), a.deps(), o)
			if err != nil {
				return err
			}
			if !o.Quiet {
				fmt.Fprintln(a.Stderr, out.Checked.SummaryLine())
			}
			return rowsRejected(!out.Counts.Clean())
		},
	}
	bindExport(cmd, &o)
	return cmd
}
