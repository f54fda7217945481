package main

import (
	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/ui"
)

func newUICmd(a *App) *cobra.Command {
	o := ui.Options{Stdout: a.Stdout, Stderr: a.Stderr, Getenv: a.Getenv}
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "A page in your browser to check, fix, plan and load spreadsheets (local web app)",
		Long: `ui starts bulk's web app on this machine (127.0.0.1, a free port unless --addr) and opens your
browser at its address, which carries a one-time token. The page uploads CSV and XLSX files, shows
their problems in a grid where you fix cells, plans the load against the built-in sandbox or
OneFile (beta, practice, live) and applies it with live progress: the same checks, plan and apply
as 'bulk validate', 'bulk load onefile --dry-run' and 'bulk apply'.

It pushes to a PeopleFluent LMS (or its built-in sandbox) too, as 'bulk load peoplefluent'. A
OneFile token ($BULK_ONEFILE_TOKEN) or LMS system key ($BULK_PF_SYSTEM_KEY), or a file chosen on
the page, is kept in memory only. Uploads and reports live in a private temporary folder removed when bulk ui stops (Ctrl-C).
Exit status 0 once stopped by Ctrl-C or SIGTERM (a load under way stops as Ctrl-C stops
'bulk apply': what was sent is recorded; upload and plan again to finish); 2 when it cannot start.
See docs/ui.md.`,
		Example: `  bulk ui
  bulk ui --no-open --addr 127.0.0.1:8080
  bulk ui adduser ui-users.txt jdoe && bulk ui --auth-file ui-users.txt --addr 10.0.0.5:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ui.Run(cmd.Context(), o); err != nil {
				return cannotRun(err, "")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "", "`HOST:PORT` to listen on (default 127.0.0.1 and a free port; an address other machines reach needs --auth-file)")
	cmd.Flags().BoolVar(&o.NoOpen, "no-open", false, "print the address without opening a browser")
	cmd.Flags().StringVar(&o.LedgerPath, "state", "", "run ledger `PATH` for loads into OneFile (default as 'bulk load onefile')")
	cmd.Flags().StringVar(&o.AuthFile, "auth-file", "", "users who may sign in (`FILE` of 'bulk ui adduser'); needed for an --addr other machines reach")
	cmd.Flags().StringVar(&o.PublicURL, "public-url", "", "the https:// `URL` of a TLS proxy in front of bulk ui (with --auth-file)")
	cmd.AddCommand(&cobra.Command{
		Use:     "adduser FILE NAME",
		Short:   "Add a user (or change their password) in an auth file for bulk ui --auth-file",
		Example: "  bulk ui adduser ui-users.txt jdoe",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := ui.PromptPassword(a.Stdin, a.Stderr)
			if err == nil {
				err = ui.AddUser(args[0], args[1], pw)
			}
			if err != nil {
				return cannotRun(err, "")
			}
			return nil
		},
	})
	cmd.Flags().StringVar(&o.NightlyState, "nightly-state", "", "state database (`PATH`) of the nightly jobs the runs page lists (default as 'bulk runs --nightly')")
	return cmd
}
