package main

import (
	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
)

// newSandboxCmd is 'bulk sandbox', holding one local stand-in per target system.
func newSandboxCmd(a *App, targets ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local stand-in for a target system, to rehearse a load or push",
		Long: `sandbox runs a local receiver that behaves like a target system as far as its public
documentation describes it: it checks authentication and every row, keeps what it loads, and answers
as the target does. Point bulk at the address it prints to rehearse before touching the real system.
It serves until interrupted (Ctrl-C).`,
	}
	cmd.AddCommand(targets...)
	return cmd
}

func newSandboxPFCmd(a *App) *cobra.Command {
	var o app.PFSandboxOptions
	cmd := &cobra.Command{
		Use:   "peoplefluent [--addr 127.0.0.1:8090]",
		Short: "Serve a local PeopleFluent LMS contentHandler that checks payloads like the LMS",
		Long: `sandbox peoplefluent serves trainingHistoryCsv, externalTrainingCsv and courses under
http://ADDR/ekp/contentHandler/ until interrupted. It checks HTTP Basic system authentication
against the key in ` + app.PFKeyEnv + ` or --key-file (when neither is given, it makes a random
rehearsal key in a file only you can read and says where; the key itself is never printed), checks every row against the vendor's field
tables and a seed of known users, learning modules and facilities, keeps what it loads, and answers
as the LMS does: the rows with a problem echoed with the message in an added last column, or
"No Error Occurred". Bodies must have the documented Content-Type (text/plain for CSV, application/xml
for courses; else 415); courses bodies must follow the vendor's module schema (or --xsd FILE).

The built-in seed has users jsmith, adoe, mlee, pkhan, trainer1, trainer2, modules HS-101, FIRE-01,
GDPR-2026, FL-WS, LEAD-PROG, FA-EXAM, facilities LON-01, MAN-02, ONLINE, and users that misbehave
on purpose: broken.user (row fails), odd.user (row warns), crash.user (request answered 500),
busy.user (503 once), drop.user (loaded, then the connection is dropped once). --seed FILE
replaces it (JSON: {"users":[{"id":"..","fault":".."}],"modules":[{"id":"..","title":"..","type":"R"}],
"facilities":[".."],"any_user":false,"any_module":false}).

It also answers GET http://ADDR/ekp/api/trainingHistoryXml and users200510Xml from what it
received (bulk verify peoplefluent, load --check-users, bulk probe peoplefluent).

The base URL to push to is printed on standard output.`,
		Example: `  export ` + app.PFKeyEnv + `=rehearsal-key
  bulk sandbox peoplefluent --addr 127.0.0.1:8090 &
  bulk push peoplefluent --base http://127.0.0.1:8090/ekp/ --endpoint trainingHistoryCsv out/training.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.ServePeopleFluentSandbox(cmd.Context(), a.deps(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8090", "`HOST:PORT` to listen on (port 0: any free port)")
	fs.StringVar(&o.KeyFile, "key-file", "", "read the key the sandbox expects from `PATH` instead of "+app.PFKeyEnv)
	fs.StringVar(&o.SeedFile, "seed", "", "JSON `FILE` of known users, modules and facilities (default: built in)")
	fs.StringVar(&o.ContextPath, "context-path", "/ekp/", "path of the LMS root")
	fs.StringVar(&o.XSD, "xsd", "", "check courses bodies against your LMS's courses.xsd `FILE` with xmllint, not the built-in schema")
	fs.StringVar(&o.AdminUser, "admin-user", "", "accept only this system user `NAME` (default: any non-empty name)")
	fs.Float64Var(&o.ErrorShare, "error-share", 0, "share (0-1) of requests answered 500 at random")
	fs.BoolVar(&o.EmptyAnswers, "empty-answers", false, "answer with empty bodies, like LMS 10.1 and earlier")
	fs.BoolVar(&o.EchoAll, "echo-all", false, "echo every row, not only rows with a problem")
	fs.DurationVar(&o.Latency, "latency", 0, "answer each request this long after loading it (a slow LMS)")
	return cmd
}
