package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
)

func newTemplateCmd(a *App) *cobra.Command {
	var o app.TemplateOptions
	cmd := &cobra.Command{
		Use:   "template KIND | --all",
		Short: "Write a spreadsheet to fill in for a kind: drop-downs, date and ID formats, notes on every column",
		Long: `template writes an .xlsx workbook for a kind (see 'bulk kinds'), ready to fill in:

  - the kind's columns under their canonical headers, required ones first (orange) and optional
    ones after (grey), the header row frozen;
  - a note on each header: what the column means, its format, whether it is required, an example;
  - Excel data validation on every data cell: drop-downs for columns with a fixed list of values,
    whole-number, date and length limits, no repeats where a value must be unique;
  - dates formatted as dates, identifiers (ULN, MISID, phone numbers) as Text so Excel keeps them
    exactly as typed;
  - a "Read me" sheet: how to fill it in, the columns, an example row (kept off the data sheet so it
    is never loaded by mistake), where to get help.

-o names the file (default KIND.xlsx in the current folder); with --all, the folder for one file per
kind. --csv writes header-only CSV files instead. --from PULLED.xlsx (a workbook from 'bulk pull
onefile'), or --env/--url/--sandbox with --org, fills the drop-downs of classroom, placement,
standard and unit names and of the staff a row names (MISID, e-mail) with the organisation's own. An existing file is never overwritten unless
--force is given: it may be a template someone has filled in.

Exit status: 0 written, 2 could not write (unknown kind, file exists, folder not writable).`,
		Example: `  bulk template onefile-users -o learners.xlsx
  bulk template --all -o templates/
  bulk template training-history --csv -o training-history.csv
  bulk template onefile-assignments --csv -o - | head -1
  bulk template onefile-users --from pulled.xlsx -o learners.xlsx   # drop-downs of the organisation's names`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.All && len(args) > 0:
				return cannotRun(errors.New("give a KIND or --all, not both"), "Run 'bulk template --help' for usage.")
			case !o.All && len(args) == 0:
				return cannotRun(errors.New("which kind? give a KIND, or --all for every kind"), "Run 'bulk kinds' to see the kinds.")
			case len(args) > 1:
				return cannotRun(fmt.Errorf("one KIND at a time, got %d (%s)", len(args), strings.Join(args, " ")), "Use --all for every kind.")
			}
			return nil
		},
		ValidArgsFunction: completeKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Kind = args[0]
			}
			return app.WriteTemplates(cmd.Context(), a.deps(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.Out, "output", "o", "", "`FILE` to write (- for standard output); with --all, the folder")
	fs.BoolVar(&o.All, "all", false, "write a template for every kind")
	fs.BoolVar(&o.CSV, "csv", false, "write header-only CSV files instead of workbooks")
	fs.BoolVar(&o.Force, "force", false, "overwrite existing files")
	fs.StringVar(&o.From, "from", "", "fill the drop-downs with the names in `PULLED.xlsx` (from bulk pull onefile)")
	onefileFlags(fs, &o.Target, "whose names fill the drop-downs")
	_ = cmd.MarkFlagFilename("output", "xlsx", "csv")
	_ = cmd.MarkFlagFilename("from", "xlsx")
	return cmd
}
