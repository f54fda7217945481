package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulkload/bulk/internal/app"
)

// newPullCmd is 'bulk pull', holding one subcommand per target system.
func newPullCmd(a *App) *cobra.Command {
	var o app.PullOnefileOptions
	onefile := &cobra.Command{
		Use:   "onefile (--env beta|practice|live | --url URL | --sandbox) --org ID -o FILE.xlsx [--csv DIR]",
		Short: "Write what a OneFile organisation holds: its users (loadable as they are) and its reference lists",
		Long: `pull onefile only reads. It writes a sheet per role group of users (Assessors, IQAs, Employers,
Observers, Learners) in the onefile-users layout, each row with its user's OneFileID, and the
organisation's classrooms, placements, standards and units. 'bulk load onefile --mode upsert FILE'
sends only what you edit; loads pass over the reference sheets; 'bulk template KIND --from FILE'
makes drop-downs of the names. Where a user search answers summaries, each user is read whole
(GET /User/{id}): one call per user at the rate limit.

` + exitStatusHelp,
		Example: `  BULK_ONEFILE_TOKEN=... bulk pull onefile --env beta --org 5740 -o pulled.xlsx
  bulk pull onefile --url http://127.0.0.1:8089/api/v2.1 --org 5740 -o pulled.xlsx --csv pulled/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := app.PullOnefile(cmd.Context(), a.deps(), o)
			if err == nil && !o.Quiet {
				out.WriteText(a.Stderr)
			}
			return err
		},
	}
	fs := onefile.Flags()
	onefileFlags(fs, &o.OnefileConn, "to pull")
	fs.IntVar(&o.Rate, "rate", 0, "API calls per minute (default OneFile's 300)")
	fs.StringVarP(&o.Out, "output", "o", "", "the workbook `FILE.xlsx` to write")
	fs.StringVar(&o.CSVDir, "csv", "", "also write one CSV per sheet into `DIR`")
	fs.BoolVar(&o.Force, "force", false, "overwrite an existing -o file, and the CSVs in --csv DIR")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print errors only")
	_ = onefile.MarkFlagFilename("output", "xlsx")
	cmd := &cobra.Command{Use: "pull TARGET", Short: "Write what a target system holds into a workbook bulk reads back (only reads)"}
	cmd.AddCommand(onefile)
	return cmd
}

// onefileFlags are the flags that say which OneFile organisation to read (pull, template).
func onefileFlags(fs *pflag.FlagSet, c *app.OnefileConn, what string) {
	fs.StringVar(&c.URL, "url", "", "OneFile API root "+what+", e.g. https://wsapibeta.onefile.co.uk/api/v2.1")
	fs.StringVar(&c.Env, "env", "", "OneFile "+what+": beta, practice or live (a shortcut for --url)")
	fs.BoolVar(&c.Sandbox, "sandbox", false, "a OneFile sandbox started in this process, with its built-in data, "+what)
	fs.IntVar(&c.Org, "org", 0, "the organisation `ID` "+what+" (needed when the token sees several)")
	fs.StringVar(&c.TokenFile, "token-file", "", "read the customer token from `PATH` (else $"+app.TokenEnv+")")
	fs.BoolVar(&c.AllowInsecureHTTP, "insecure-http", false, "allow a plain http:// --url to another host")
}
