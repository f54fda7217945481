package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/app"
)

// newLoadCmd is 'bulk load', holding one subcommand per target system.
func newLoadCmd(a *App, targets ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "load TARGET FILE...",
		Short: "Validate spreadsheets and load the valid rows into a target system",
		Long:  "load validates like 'bulk validate', then loads the valid rows. See 'bulk load onefile --help'.\n\n" + exitStatusHelp,
	}
	cmd.AddCommand(targets...)
	return cmd
}

func newLoadOnefileCmd(a *App) *cobra.Command {
	var o app.LoadOnefileOptions
	cmd := &cobra.Command{
		Use:   "onefile [--url URL | --env beta|practice|live | --sandbox] FILE...",
		Short: "Validate, then create staff and learners and assign them in OneFile",
		Long: `load onefile validates the files like 'bulk validate', then loads the valid rows into OneFile:
staff first (roles 4, 5, 10, 40, 45), then learners, then assignments, each stage with
--concurrency workers sharing one --rate limit.

People named by MISID or Email (DefaultAssessorMISID, LearnerEmail, UserMISID, ...) are found
among the rows of the load or on OneFile; classrooms, placements, standards and units may be named
(ClassroomName, PlacementName, StandardTitle, UnitTitle). Users already on OneFile are found by
one paged download and matched by MISID, then Email: --mode create (default) leaves them alone,
upsert updates the fields that differ, update only updates.

Nobody is created twice: each change is recorded in a run ledger (SQLite) before and after the
call, and a create whose outcome is unknown is followed by a search before any retry. Running
the same command again after a crash, kill or Ctrl-C does only what is left. The ledger is
$XDG_STATE_HOME/bulk/ledger.db (else ~/.local/state/bulk/ledger.db; on Windows
%LOCALAPPDATA%\bulk\ledger.db) unless --state is given;
'bulk runs' lists the runs. While a load sends it holds its organisation's lock (in locks/ beside
the ledger): a second load into the same organisation, by hand or from a nightly job, exits 2 at
once, sends nothing and names the load that holds it. A killed load releases it by itself; a dry
run takes none.

The customer token comes from $` + app.TokenEnv + ` or --token-file, never from a flag value.
Loading into live asks for confirmation on a terminal and needs --yes otherwise.

--report DIR receives the validation report plus results.csv (one line per input row:
file,sheet,row,kind,action,status,onefile_id,message) and, when OneFile returns passwords,
credentials.csv readable by you only.

` + exitStatusHelp,
		Example: `  bulk load onefile --sandbox samples/term-start.xlsx
  BULK_ONEFILE_TOKEN=... bulk load onefile --env beta --org 5740 --dry-run term.xlsx
  bulk load onefile --env live --org 5740 --token-file ~/.onefile-token --mode upsert --yes term.xlsx`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Sandbox && !cmd.Flags().Changed("rate") {
				o.Rate = app.SandboxRate // a rehearsal need not wait for OneFile's limit
			}
			o.Files = args
			_, err := loadOnefile(cmd.Context(), a, o)
			return err
		},
	}
	bindInput(cmd, &o.InputOptions)
	fs := cmd.Flags()
	fs.StringVar(&o.URL, "url", "", "OneFile API root, e.g. https://wsapibeta.onefile.co.uk/api/v2.1")
	fs.StringVar(&o.Env, "env", "", "shortcut for --url: beta, practice or live")
	fs.IntVar(&o.Org, "org", 0, "organisation (centre) `ID` to load into (needed when the token sees several)")
	fs.StringVar(&o.TokenFile, "token-file", "", "read the customer token from `PATH` (else $"+app.TokenEnv+")")
	fs.StringVar(&o.Mode, "mode", "create", "create (leave existing users alone), upsert (also update them) or update (only update)")
	fs.IntVar(&o.Concurrency, "concurrency", 4, "requests in flight at once")
	fs.IntVar(&o.Rate, "rate", 300, "most API calls per minute, all workers together (OneFile allows 300; --sandbox: 6000 unless given)")
	fs.DurationVar(&o.Patience, "patience", api.DefaultPatience, "how long to wait out OneFile answering every call 429 before rows fail")
	fs.BoolVar(&o.DryRun, "dry-run", false, "read OneFile only and report what each row would do")
	fs.StringVar(&o.State, "state", "", "run ledger `PATH`, or a postgres:// URL shared by several machines (default $BULK_STATE_URL, else bulk/ledger.db in $XDG_STATE_HOME, or %LOCALAPPDATA% on Windows)")
	fs.BoolVar(&o.Sandbox, "sandbox", false, "load into a OneFile sandbox started in this process (no account needed)")
	fs.StringVar(&o.Keychain, "keychain", "", "with --sandbox: on (default; creates answer no user ID or password) or off (2024)")
	fs.BoolVar(&o.Yes, "yes", false, "confirm a load into live without asking")
	fs.DurationVar(&o.Drain, "drain", 30*time.Second, "after Ctrl-C, how long calls in flight may take to finish")
	fs.BoolVar(&o.AllowIdentityChange, "allow-identity-change", false, "send updates that change a matched user's ULN, or two of their names and date of birth (else: conflict, not sent)")
	fs.BoolVar(&o.AllowInsecureHTTP, "insecure-http", false, "allow a plain http:// --url to another host (the token crosses the network in clear)")
	return cmd
}

// loadOnefile runs the use case, shows its outcome and says how it ended.
func loadOnefile(ctx context.Context, a *App, o app.LoadOnefileOptions) (*app.LoadOnefileOutcome, error) {
	out, err := app.LoadOnefile(ctx, a.deps(), o)
	if out != nil {
		out.Render(a.Stdout, a.Stderr, o.Quiet)
	}
	if err != nil {
		return out, err
	}
	return out, rowsRejected(!out.Counts.Clean() || out.Load != nil && !out.Load.OK())
}
