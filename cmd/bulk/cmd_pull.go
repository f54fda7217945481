package main

import (
	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
)

// newPullCmd is 'bulk pull', holding one subcommand per target system.
func newPullCmd(a *App) *cobra.Command {
	var o app.PullOnefileOptions
	onefile := &cobra.Command{
		Use:   "onefile (--env beta|practice|live | --url URL | --sandbox) --org ID -o FILE.xlsx [--csv DIR]",
		Short: "Write what a OneFile organisation holds: its users (loadable as they are) and its reference lists",
		Long: `pull onefile only reads. It writes one sheet per role group of users (Assessors, IQAs, Employers,
Observers, Learners) in the onefile-users layout, a "User IDs" sheet with their OneFile IDs, and
sheets of the organisation's classrooms, placements, standards and units. Loading the workbook back
(bulk load onefile --mode upsert FILE) changes nothing; edit a cell and only that is sent. Loads
pass over the reference sheets. Give the workbook to 'bulk template KIND --from FILE' for drop-downs
of the organisation's names. Users are read a page at a time at the rate limit; where a search
answers summaries, each user is read whole (GET /User/{id}), one call per user.

` + exitStatusHelp,
		Example: `  BULK_ONEFILE_TOKEN=... bulk pull onefile --env beta --org 5740 -o pulled.xlsx
  bulk pull onefile --url http://127.0.0.1:8089/api/v2.1 --org 5740 -o pulled.xlsx --csv pulled/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := app.PullOnefile(cmd.Context(), a.deps(), o)
			if err == nil {
				out.WriteText(a.Stderr)
			}
			return err
		},
	}
	fs := onefile.Flags()
	fs.StringVar(&o.URL, "url", "", "OneFile API root, e.g. https://wsapibeta.onefile.co.uk/api/v2.1")
	fs.StringVar(&o.Env, "env", "", "shortcut for --url: beta, practice or live")
	fs.BoolVar(&o.Sandbox, "sandbox", false, "pull a OneFile sandbox started in this process (its built-in data)")
	fs.IntVar(&o.Org, "org", 0, "organisation `ID` to pull (needed when the token sees several)")
	fs.StringVar(&o.TokenFile, "token-file", "", "read the customer token from `PATH` (else $"+app.TokenEnv+")")
	fs.BoolVar(&o.AllowInsecureHTTP, "insecure-http", false, "allow a plain http:// --url to another host")
	fs.StringVarP(&o.Out, "output", "o", "", "the workbook `FILE.xlsx` to write")
	fs.StringVar(&o.CSVDir, "csv", "", "also write one CSV per sheet into `DIR`")
	fs.BoolVar(&o.Force, "force", false, "overwrite an existing -o file")
	fs.IntVar(&o.Rate, "rate", 0, "API calls per minute (default OneFile's 300)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print errors only")
	_ = onefile.MarkFlagFilename("output", "xlsx")
	cmd := &cobra.Command{Use: "pull TARGET", Short: "Write what a target system holds into a workbook bulk reads back (only reads)"}
	cmd.AddCommand(onefile)
	return cmd
}
