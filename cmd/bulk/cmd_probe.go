package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
)

// newProbeCmd is 'bulk probe', holding one subcommand per target system.
func newProbeCmd(targets ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: "probe TARGET", Short: "Read what a target system answers and keep it as its target profile (sends no change)"}
	cmd.AddCommand(targets...)
	return cmd
}

func newProbeOnefileCmd(a *App) *cobra.Command {
	var o app.ProbeOnefileOptions
	var format string
	cmd := &cobra.Command{
		Use:   "onefile (--url URL | --env beta|practice|live) [--org ID] [--format json]",
		Short: "Check a OneFile token and settle the guesses: keychain, search fields, rate-limit headers, counts",
		Long: `probe onefile only reads: it checks the customer token, lists the organisations it sees, and for
the organisation (--org) reports the keychain setting, the rate-limit headers, which fields a user
search answers (search_fields) and whether GET /User/{id} answers more, and counts classrooms,
placements, standards and units. It writes the target profile (profiles/ beside the ledger) that
loads into this target read. The assignment path stays "unknown" (loads use the assignee) unless
--write-test (refused for live) creates a throwaway assessor and learner named bulk-probe-* and
tries the assignment with the assessor in the path, then with the learner; then, with a
throwaway trainee assessor and IQA, settles the role guesses (roles: in the profile,
docs/guesses.md). It says which users to archive afterwards.

` + exitStatusHelp,
		Example: `  BULK_ONEFILE_TOKEN=... bulk probe onefile --env beta --org 5740
  bulk probe onefile --url http://127.0.0.1:8089/api/v2.1 --org 5740 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageError(cmd, fmt.Errorf("--format %q: say text or json", format))
			}
			res, err := app.ProbeOnefile(cmd.Context(), a.deps(), o)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			res.WriteText(a.Stdout)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.URL, "url", "", "OneFile API root, e.g. https://wsapibeta.onefile.co.uk/api/v2.1")
	fs.StringVar(&o.Env, "env", "", "shortcut for --url: beta, practice or live")
	fs.IntVar(&o.Org, "org", 0, "organisation `ID` to probe (needed when the token sees several)")
	fs.StringVar(&o.TokenFile, "token-file", "", "read the customer token from `PATH` (else $"+app.TokenEnv+")")
	fs.StringVar(&o.State, "state", "", "run ledger `PATH` whose folder holds profiles/ (default bulk/ledger.db in $XDG_STATE_HOME, or %LOCALAPPDATA% on Windows)")
	fs.BoolVar(&o.AllowInsecureHTTP, "insecure-http", false, "allow a plain http:// --url to another host")
	fs.StringVar(&format, "format", "text", "output format: text or json (for scripts)")
	fs.BoolVar(&o.WriteTest, "write-test", false, "create throwaway users (bulk-probe-*) to settle the assignment path and the role guesses; refused for live")
	return cmd
}

func newProbePFCmd(a *App) *cobra.Command {
	var o app.ProbePFOptions
	var format string
	cmd := &cobra.Command{
		Use:   "peoplefluent --base URL [--format json]",
		Short: "Check that a PeopleFluent LMS answers and accepts the system key (one read, sends nothing)",
		Long: `probe peoplefluent makes one authenticated read (trainingHistoryXml for the system user, from this
minute on) and says which it is: ok, unreachable, tls, wrong-key, wrong-user (where the LMS says
so), no-read (the base answers, the read is not there) or not-lms (an answer that is not the LMS's).

` + exitStatusHelp,
		Example: `  bulk probe peoplefluent --base https://lms.example.com/ekp/ --format json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageError(cmd, fmt.Errorf("--format %q: say text or json", format))
			}
			res, err := app.ProbePeopleFluent(cmd.Context(), a.deps(), o)
			if res != nil && format == "json" {
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(res)
			} else if res != nil && err == nil {
				res.WriteText(a.Stdout)
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Base, "base", "", "LMS root `URL`, e.g. https://lms.example.com/ekp/")
	fs.StringVar(&o.KeyFile, "key-file", "", "read the system key from `PATH` instead of "+app.PFKeyEnv)
	fs.StringVar(&o.User, "user", "", "system user `NAME` sent with the key (default $"+app.PFUserEnv+", else bulk)")
	fs.StringVar(&format, "format", "text", "output format: text or json (for scripts)")
	_ = cmd.MarkFlagRequired("base")
	return cmd
}
