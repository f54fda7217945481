package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/internal/app"
)

type sandboxFlags struct {
	addr       string
	seed       string
	rateLimit  string
	retryAfter bool
	latency    time.Duration
	faults     sandbox.FaultSpec
	keychain   string
	sessionTTL time.Duration
	search     string
	learnerIn  bool
	roles      string
}

func newSandboxOneFileCmd(a *App) *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "onefile",
		Short: "Serve an in-memory OneFile API v2.1 on this machine",
		Long: `sandbox onefile serves a stand-in for the OneFile API v2.1 on --addr, holding its data in
memory: an organisation with classrooms, placements, standards and units and a few staff (built
in, or from --seed FILE), and whatever a load creates. It checks requests as OneFile is documented
to (required fields per role, references, assignment levels, 300 calls a minute) and can inject
faults (--faults) so a rehearsal sees what a bad day on the real service looks like.

On start it prints its API root and a customer token for this sandbox only. The token is random,
unless BULK_ONEFILE_TOKEN is set, in which case the sandbox accepts that token (so a load in
another terminal with the same environment needs nothing more). Ctrl-C stops it and prints
what it holds. Exit status 0 after Ctrl-C; 2 when it cannot start.

--faults takes key=value pairs separated by commas:
  latency=DUR   delay every call          jitter=DUR   extra random delay up to DUR
  error500=P    answer 500 before making the change
  drop=P        make the change, then close the connection without an answer
  stall=P       make the change, then keep the answer back until the client gives up
  burst429=P    start a run of burstlen (default 10) answers 429
  scope=all     500/drop/stall on reads too (default: writes only)
  seed=N        seed of the random choices, so a run can be repeated
  lag=DUR       a created user is missing from user searches for DUR (GET /User/{id} finds it)
P is a share: 0.1 or 10%.`,
		Example: `  bulk sandbox onefile
  bulk sandbox onefile --addr 127.0.0.1:0 --latency 30ms --faults drop=0.05,error500=0.05,seed=7
  bulk sandbox onefile --seed my-centre.yaml --keychain on --rate-limit 300/min`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandboxOneFile(cmd.Context(), a, cmd, f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8089", "address to listen on (127.0.0.1:0 picks a free port)")
	fs.StringVar(&f.seed, "seed", "", "YAML or JSON file of the starting data (default: the built-in organisation)")
	fs.StringVar(&f.rateLimit, "rate-limit", "300/min", "calls accepted per rolling window, like 300/min, 60/s, 300/5s; off for none")
	fs.BoolVar(&f.retryAfter, "retry-after", false, "send a Retry-After header with rate-limit 429s (OneFile documents none)")
	fs.DurationVar(&f.latency, "latency", 0, "delay added to every call, like 30ms")
	fs.Var(&f.faults, "faults", "faults to inject, like drop=0.1,error500=5%,seed=7 (see above)")
	fs.StringVar(&f.keychain, "keychain", "on", "the centre's keychain setting: on (creates answer no user ID or password, the 2026 guide) or off (2024)")
	fs.DurationVar(&f.sessionTTL, "session-ttl", 24*time.Hour, "how long a session token lasts")
	fs.BoolVar(&f.learnerIn, "learner-in-assign-path", false, "take POST /User/{id}/Assign as the newer guide words it: {id} the learner, the assignee as LearnerID")
	fs.StringVar(&f.roles, "roles", "", "settle the role guesses as a target profile's roles: does, like iqa-default-assessor=on,trainee-assessor-any-level=off (docs/guesses.md)")
	fs.StringVar(&f.search, "search", "summary", "what a user search answers: summary (ID, names, MISID, Email, Role, DefaultAssessorID, as real centres do) or full")
	return cmd
}

func runSandboxOneFile(ctx context.Context, a *App, cmd *cobra.Command, f sandboxFlags) error {
	cfg := sandbox.DefaultConfig()
	var err error
	if cfg.RateLimit, cfg.RateWindow, err = sandbox.ParseRateLimit(f.rateLimit); err != nil {
		return usageError(cmd, err)
	}
	if cfg.Keychain, err = sandbox.ParseKeychain(f.keychain); err != nil {
		return usageError(cmd, err)
	}
	if f.sessionTTL <= 0 {
		return usageError(cmd, fmt.Errorf("--session-ttl must be positive"))
	}
	if cfg.SearchMode, err = sandbox.ParseSearchMode(f.search); err != nil {
		return usageError(cmd, fmt.Errorf("--search: %w", err))
	}
	if cfg.Roles, err = schema.ParseRoleSettings(f.roles); err != nil {
		return usageError(cmd, fmt.Errorf("--roles: %w", err))
	}
	cfg.RetryAfter, cfg.Latency, cfg.Faults, cfg.SessionTTL, cfg.AssignLearnerInPath = f.retryAfter, f.latency, f.faults, f.sessionTTL, f.learnerIn
	return app.ServeOneFileSandbox(ctx, a.deps(), cfg, f.addr, f.seed)
}
