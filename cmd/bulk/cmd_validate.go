package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newValidateCmd) }

func newValidateCmd(a *App) *cobra.Command {
	var c checkFlags
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
			res, err := c.check(cmd.Context(), a, args, nil, nil)
			if err != nil {
				return err
			}
			if !c.quiet {
				fmt.Fprintln(a.Stderr, summaryLine(res.rep, c.reportDir))
			}
			if !res.counts.Clean() {
				return &ExitError{Code: ExitRejected}
			}
			return nil
		},
	}
	c.bind(cmd)
	return cmd
}
