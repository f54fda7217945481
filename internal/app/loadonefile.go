package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/onefile/profile"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/internal/target"
	"github.com/bulkload/bulk/lockfile"
	"github.com/bulkload/bulk/pipeline"
)

// OneFileEnvs are OneFile's API roots (shared/reference/onefile-api.md). Never a default: --url
// or --env.
var OneFileEnvs = map[string]string{
	"beta":     "https://wsapibeta.onefile.co.uk/api/v2.1",
	"practice": "https://wsapi2.onefile.co.uk/api/v2.1",
	"live":     "https://wsapi.onefile.co.uk/api/v2.1",
}

// TokenEnv holds the OneFile customer token.
const TokenEnv = "BULK_ONEFILE_TOKEN"

// SandboxRate is the rate for a load into the in-process sandbox when none is given: it has no
// limit.
const SandboxRate = 6000

// LoadOnefileOptions are the options of LoadOnefile (bulk load onefile's flags, a nightly job's
// target).
type LoadOnefileOptions struct {
	InputOptions
	URL, Env    string
	Org         int
	TokenFile   string // else $BULK_ONEFILE_TOKEN
	Mode        string // create, upsert or update
	Concurrency int
	Rate        int // calls per minute
	// Patience is how long a spell of 429s (every call refused) is waited out before rows fail;
	// 0: api.DefaultPatience (10 minutes).
	Patience time.Duration
	DryRun   bool
	State    string // the run ledger; "" for Deps.LedgerPath
	// CredentialsDir is where credentials.csv (new users' logins) goes; "" for ReportDir. A
	// nightly job keeps them in a private folder of its own, out of its archive.
	CredentialsDir string
	Sandbox        bool // load into a OneFile sandbox started in this process
	// Keychain is the --sandbox's keychain setting: "on" (default, as the 2026 guide: creates
	// answer no ID or password) or "off" (the 2024 behaviour).
	Keychain string
	Yes      bool // confirm a load into live without asking
	Drain    time.Duration
	// AllowIdentityChange sends updates that would change a matched user's ULN or two of their
	// names and date of birth (load.RuleIdentity); without it they are conflicts, not sent.
	AllowIdentityChange bool
	// AllowInsecureHTTP lets --url be plain http:// to a host that is not this machine.
	AllowInsecureHTTP bool
	// PlanWhenHeld: when Gate holds the run (an *Error of Kind Held), the load still runs, as
	// a dry run, so plan.json says what would be created, changed and left alone; the Held
	// error is returned after it (a nightly run's held run is a saved plan).
	PlanWhenHeld bool
	// Loaded, when set, is told the loader's outcome before the report is written, so a caller
	// can add what it learnt to the report (a nightly run: rows found gone from OneFile).
	Loaded func(*load.Outcome)
	// Leavers and LeaverLimit are the loader's (load.Options): the OneFile users a nightly
	// full export no longer has, to archive after the rows.
	Leavers     func(*load.User) bool
	LeaverLimit func(n int) string

	// planned is the plan ApplyPlan carries out (by row), and plan its file.
	planned map[int]*load.PlanRow
	// guard stops the load when a shared organisation lock is lost (LockGuard).
	guard *LockGuard
}

// LoadOnefileOutcome is what a OneFile load did. Load is nil when it stopped before loading.
type LoadOnefileOutcome struct {
	Checked
	Load   *load.Outcome
	Stats  api.Stats
	Mode   load.Mode
	DryRun bool
	// Plan is the plan.json a dry run wrote ("" for none).
	Plan string
	// State is the --state the run was given ("" for the default), for the apply it suggests.
	State string
	// Credentials is the file the new logins went to ("" for none); KeptCredentials where an
	// earlier run's logins in the same report folder were moved ("" for none).
	Credentials, KeptCredentials string
	// Busy: another load held the organisation's lock; nothing was sent.
	Busy bool
	// Sandbox is what the in-process sandbox holds at the end (--sandbox).
	Sandbox *sandbox.Snapshot
	// AtRealLimit says, for a --sandbox load (which runs unpaced), how long the same calls
	// would take at OneFile's documented limit: "at 300 calls a minute this load would take
	// about 17 s". Empty otherwise.
	AtRealLimit string
}

// OneFileRateLimit is the calls a minute OneFile documents.
const OneFileRateLimit = 300

// atRealLimit is how long calls take at OneFile's limit, said for people. The pacing sends
// them evenly at the limit, so the time is the calls over the rate; the calls themselves
// (latency) overlap with it on several workers and are left out.
func atRealLimit(calls int64) string {
	d := (time.Duration(calls) * time.Minute / OneFileRateLimit).Round(time.Second)
	var took string
	switch {
	case d < time.Second:
		took = "a second"
	case d < 2*time.Minute:
		took = fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < 2*time.Hour:
		took = fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	default:
		took = fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("at %d calls a minute this load would take about %s", OneFileRateLimit, took)
}

// ResultsFile is the load's results.csv.
func (o *LoadOnefileOutcome) ResultsFile() string { return filepath.Join(o.ReportDir, "results.csv") }

// LoadOnefile validates the inputs and loads their valid rows into OneFile. Once validation has
// made the run's report it returns the outcome whatever the error (a load that stopped, an
// interruption); rows rejected or failed are in the outcome, not an error.
func LoadOnefile(ctx context.Context, d Deps, o LoadOnefileOptions) (*LoadOnefileOutcome, error) {
	mode, err := load.ParseMode(o.Mode)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if len(o.Files) == 0 {
		return nil, cannotRun(errors.New("no input files given"), "Give one or more .csv or .xlsx files, e.g. 'bulk load onefile --sandbox samples/term-start.xlsx'.")
	}
	t, led, closeAll, err := o.open(&d)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	g, ctx := NewLockGuard(ctx)
	defer g.Stop()
	o.guard = g

	// Two loads into one organisation at once could both find a learner new and both create
	// them: a load holds the organisation's lock while it sends. Taken here when the organisation
	// is known, so a refused load has read and written nothing; otherwise by the loader once it
	// knows it. A dry run sends nothing and an in-process sandbox is this process's own.
	var note io.Writer
	if !o.Quiet {
		note = d.stderr()
	}
	lockLater := !o.DryRun && t.box == nil
	if lockLater && o.Org != 0 {
		lk, err := lockOrg(led, t.url, o.Org, "", note, g)
		if err != nil {
			return nil, err
		}
		defer lk.Release()
		lockLater = false
	}

	// The target profile settles what the guides leave open: validation applies its role rules.
	prof, err := o.profile(&d, t, note)
	if err != nil {
		return nil, err
	}
	o.InputOptions.settings = prof.RoleRules()

	// Validate: the collector keeps every row's place and the valid rows' values.
	col := load.NewCollector()
	col.Strict = o.Strict
	rep, err := d.check(ctx, &o.InputOptions, col, onefileKinds(), col)
	if rep == nil {
		return nil, err
	}
	out := &LoadOnefileOutcome{Checked: Checked{Report: rep, ReportDir: o.ReportDir}, Mode: mode, DryRun: o.DryRun, State: o.State}
	if err == nil {
		err = o.gate(rep)
	}
	if err != nil && o.PlanWhenHeld && KindOf(err) == Held {
		o.DryRun, out.DryRun = true, true
		if perr := o.send(ctx, &d, t, led, prof, col.Items(), false, note, out); perr != nil {
			err = perr // held, and the plan could not be made: say why
		}
	} else if err == nil {
		err = o.send(ctx, &d, t, led, prof, col.Items(), lockLater, note, out)
	}
	if o.Loaded != nil && out.Load != nil {
		o.Loaded(out.Load)
	}
	err = o.writeReport(rep, g.Err(err))
	out.Counts = rep.Counts()
	if t.box != nil {
		snap := t.box.Snapshot()
		out.Sandbox = &snap
		if out.Load != nil && !out.DryRun {
			out.AtRealLimit = atRealLimit(out.Stats.Calls)
		}
	}
	return out, err
}

// send loads the validated rows (items) and puts what became of them into the report.
func (o *LoadOnefileOptions) send(ctx context.Context, d *Deps, t *onefileTarget, led *ledger.Ledger, prof *profile.Profile, items []*load.Item, lockLater bool, note io.Writer, out *LoadOnefileOutcome) error {
	rep := out.Report
	client, err := api.New(api.Config{BaseURL: t.url, CustomerToken: t.token, RatePerMinute: o.Rate, Concurrency: o.Concurrency,
		Patience: o.Patience, AllowInsecureHTTP: o.AllowInsecureHTTP, AssignPath: prof.Assign()})
	if err != nil {
		return cannotRun(err, "")
	}
	defer client.Close()
	prog := newLoadProgress(d, o.Quiet, client)
	lo := load.Options{
		Client: load.NewAPIClient(client), Ledger: led, APIRoot: t.url, Org: o.Org, Mode: out.Mode,
		Concurrency: o.Concurrency, DryRun: o.DryRun, Drain: o.Drain, MonthFirst: strings.EqualFold(o.DateOrder, "mdy"),
		Progress: prog.update, Inputs: o.Files, ReportDir: o.ReportDir, Logf: prog.logf,
		AllowIdentityChange: o.AllowIdentityChange, Planned: o.planned, Leavers: o.Leavers, LeaverLimit: o.LeaverLimit,
	}
	if !o.DryRun {
		// Each login goes to disk as it arrives (an earlier run's file is moved aside first):
		// a run killed or stopped by a full disk has already kept every password it was given.
		credDir := o.ReportDir
		if o.CredentialsDir != "" {
			credDir = o.CredentialsDir
		}
		creds := load.NewCredentialLog(credDir, !o.NoBOM)
		lo.Credentials = creds
		defer func() {
			creds.Close()
			out.Credentials, out.KeptCredentials = creds.Path(), creds.Kept()
		}()
	}
	if !o.DryRun && t.box == nil {
		// Once OneFile has said which organisation this is, the load also holds the lock of the
		// organisation as OneFile names it (customer and organisation IDs): two spellings of one
		// server's URL, or two names for one host, can then never send to it at once.
		lo.Lock = func(org load.Organisation) (func(), error) {
			var byURL *ledger.Lock
			if lockLater {
				lk, err := lockOrg(led, t.url, org.ID, org.Name, note, o.guard)
				if err != nil {
					return nil, err
				}
				byURL = lk
			}
			byID, err := lockOrg(led, fmt.Sprintf("onefile-customer:%d", org.CustomerID), org.ID, org.Name, note, o.guard)
			if err != nil {
				if byURL != nil {
					byURL.Release()
				}
				return nil, err
			}
			return func() {
				byID.Release()
				if byURL != nil {
					byURL.Release()
				}
			}, nil
		}
	}
	lout, lerr := load.Run(ctx, items, lo)
	prog.finish()
	if prof != nil && lout.Keychain && !prof.KeychainOn && note != nil {
		fmt.Fprintf(note, "OneFile answered creates as with the keychain on, but the target profile says off: run 'bulk probe onefile' again to refresh it.\n")
	}
	out.Load, out.Stats = lout, client.Stats()
	// The loader's failures go into the report from its results, now that it has ended.
	for i := range lout.Results {
		if p, ok := lout.Results[i].Problem(); ok {
			rep.Fail(p)
		}
	}
	if err := load.WriteResults(o.ReportDir, lout.Results, !o.NoBOM); err != nil {
		return cannotRun(err, "Check that the report folder is writable.")
	}
	if o.DryRun && lout.Org.ID != 0 {
		// The dry run's decisions, for review and 'bulk apply': personal data, so 0600.
		out.Plan = filepath.Join(o.ReportDir, "plan.json")
		plan := load.NewPlan(lout, lo, d.now())
		plan.Target.InProcess = t.box != nil
		if err := load.WritePlan(out.Plan, plan); err != nil {
			return cannotRun(fmt.Errorf("cannot write the plan: %w", err), "Check that the report folder is writable.")
		}
	}
	rep.Set("load", map[string]any{"target": t.url, "organisation": lout.Org.ID, "mode": string(out.Mode), "dry_run": o.DryRun,
		"run_id": lout.RunID, "counts": lout.Counts, "api_calls": out.Stats.Calls, "retries": out.Stats.Retries, "answers_429": out.Stats.TooMany,
		"interrupted": lout.Interrupted, "not_started": lout.NotStarted, "lost_logins": len(lout.LostLogins), "plan": out.Plan, "leavers": len(lout.Leavers)})
	switch {
	case errors.Is(lerr, lockfile.ErrLocked):
		// Refused the organisation's lock: the error says it all, and the rows "not sent" why.
		out.Busy = true
		return lerr // lockOrg's error, saying who holds the organisation
	case errors.As(lerr, new(*load.LoginsAtRisk)):
		return cannotRun(lerr, "Free the report folder's disk (or make it writable), then run the same command again: what was created is recorded and is not created again.")
	case errors.Is(lerr, load.ErrAuth):
		return cannotRun(lerr, "Check the customer token ("+TokenEnv+" or --token-file) is for this environment and has not been revoked.")
	case lout.Interrupted || ctx.Err() != nil:
		return &Error{Kind: Interrupted, Err: errors.New("interrupted; what was done is recorded. Run the same command again to finish.")}
	case lerr != nil && lout.NotStarted:
		return cannotRun(fmt.Errorf("nothing was sent: %w", lerr), "Fix that, then run the command again.")
	case lerr != nil:
		return cannotRun(fmt.Errorf("the load stopped: %w", lerr), "What was done is recorded; fix the cause and run the same command again.")
	}
	return nil
}

// open readies what every OneFile use case needs before it reads anything: sane limits, the
// target (canonical; a sandbox started), the live confirmation and the run ledger. closeAll
// closes the ledger and stops an in-process sandbox.
func (o *LoadOnefileOptions) open(d *Deps) (t *onefileTarget, led *ledger.Ledger, closeAll func(), err error) {
	if o.Concurrency < 1 || o.Rate < 1 {
		return nil, nil, nil, cannotRun(errors.New("--concurrency and --rate must be at least 1"), "")
	}
	if o.Patience < 0 {
		return nil, nil, nil, cannotRun(errors.New("--patience must not be negative"), "Give how long a spell of 429 answers may last before rows fail, such as 10m.")
	}
	if t, err = o.target(d); err != nil {
		return nil, nil, nil, err
	}
	stop := func() {
		if t.stop != nil {
			t.stop()
		}
	}
	if err = confirmLive(d, t, o); err == nil {
		led, err = o.openLedger(d, t)
	}
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return t, led, func() { led.Close(); stop() }, nil
}

// profile reads the target profile of the load's target (none for an in-process sandbox, or
// while the organisation is not yet known) and says what the load takes from it.
func (o *LoadOnefileOptions) profile(d *Deps, t *onefileTarget, note io.Writer) (*profile.Profile, error) {
	if t.box != nil || o.Org == 0 {
		return nil, nil
	}
	dir, err := profileDir(d, o.State)
	if err != nil {
		return nil, err
	}
	p, err := profile.Read(dir, t.url, o.Org)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if p != nil && note != nil {
		roles := ""
		for _, g := range schema.RoleGuesses { // in the table's order, not the map's
			if on, set := p.Roles[g.Name]; set {
				roles += fmt.Sprintf(", %s %s", g.Name, map[bool]string{true: "on", false: "off"}[on])
			}
		}
		fmt.Fprintf(note, "Target profile (probed %s): keychain %s, user search answers %d fields, assignment path %s%s.\n",
			p.ProbedAt.Format("2006-01-02"), map[bool]string{true: "on", false: "off"}[p.KeychainOn], len(p.SearchFields), p.AssignPath, roles)
	}
	return p, nil
}

// onefileTarget is where a load goes.
type onefileTarget struct {
	url, token string
	live       bool
	insecure   bool // plain http to another host, allowed by --insecure-http
	box        *sandbox.Server
	stop       func()
}

func (o *LoadOnefileOptions) target(d *Deps) (*onefileTarget, error) {
	n := 0
	for _, set := range []bool{o.URL != "", o.Env != "", o.Sandbox} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, cannotRun(errors.New("say where to load: give one of --url, --env or --sandbox"),
			"Try 'bulk load onefile --sandbox FILE' to rehearse with no account, or --env beta with a token from OneFile support.")
	}
	if o.Keychain != "" && !o.Sandbox {
		return nil, cannotRun(errors.New("--keychain is a setting of the sandbox: it goes with --sandbox"), "A real OneFile's keychain is set by the centre; 'bulk probe onefile' reports it.")
	}
	if o.Sandbox {
		keychain := true
		if o.Keychain != "" {
			var err error
			if keychain, err = sandbox.ParseKeychain(o.Keychain); err != nil {
				return nil, cannotRun(err, "")
			}
		}
		box := sandbox.New(sandbox.Config{Keychain: keychain})
		url, shutdown, err := box.Start("127.0.0.1:0")
		if err != nil {
			return nil, cannotRun(err, "")
		}
		if o.Org == 0 {
			o.Org = sandbox.DefaultSeed().Organisations[0].ID
		}
		return &onefileTarget{url: url, token: box.CustomerToken(), box: box, stop: func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = shutdown(sctx)
		}}, nil
	}
	raw := o.URL
	if o.Env != "" {
		u, ok := OneFileEnvs[strings.ToLower(o.Env)]
		if !ok {
			return nil, cannotRun(fmt.Errorf("--env %q: use beta, practice or live", o.Env), "")
		}
		raw = u
	}
	t, err := canonicalTarget(raw, o.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	tok, err := o.readToken(d)
	if err != nil {
		return nil, err
	}
	t.token = tok
	return t, nil
}

// canonicalTarget is a OneFile API root spelled one way (internal/target): the live check, the
// ledger's keys, the organisation's lock and plans all use that spelling, so `HTTPS://WSAPI...:443/`
// is live and `localhost` and `127.0.0.1` are one server.
func canonicalTarget(raw string, insecure bool) (*onefileTarget, error) {
	var opts []target.Option
	if insecure {
		opts = append(opts, target.AllowInsecureHTTP)
	}
	u, err := target.Canonical(raw, opts...)
	if err != nil {
		hint := "Give the API root, such as https://wsapibeta.onefile.co.uk/api/v2.1, or --env beta."
		if errors.Is(err, target.ErrInsecureHTTP) {
			hint = "Use https://, or add --insecure-http if this server really has no TLS (the token would cross the network in clear)."
		}
		return nil, cannotRun(fmt.Errorf("--url: %w", err), hint)
	}
	return &onefileTarget{url: u.String(), live: u.IsOneFileLive(), insecure: u.Insecure()}, nil
}

func (o *LoadOnefileOptions) readToken(d *Deps) (string, error) {
	if o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return "", cannotRun(fmt.Errorf("cannot read the token file: %w", err), "")
		}
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
		return "", cannotRun(fmt.Errorf("the token file %s is empty", o.TokenFile), "")
	}
	if tok := strings.TrimSpace(d.Env(TokenEnv)); tok != "" {
		return tok, nil
	}
	return "", cannotRun(errors.New("no OneFile customer token"),
		"Set "+TokenEnv+" or give --token-file PATH (a file only you can read). Tokens are issued by OneFile support.")
}

func (d *Deps) stdinIsTerminal() bool {
	if d.StdinIsTerminal != nil {
		return d.StdinIsTerminal()
	}
	f, ok := d.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirmLive asks before writing to live: on a terminal a typed "yes", elsewhere --yes.
func confirmLive(d *Deps, t *onefileTarget, o *LoadOnefileOptions) error {
	if !t.live || o.DryRun || o.Yes {
		return nil
	}
	if !d.stdinIsTerminal() {
		return cannotRun(errors.New("this would load into OneFile live and nobody is here to confirm it"), "Add --yes to load into live unattended, or try --dry-run first.")
	}
	fmt.Fprintf(d.stderr(), "This loads into OneFile LIVE (%s), organisation %d. Type yes to go on: ", t.url, o.Org)
	line, _ := bufio.NewReader(d.Stdin).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return cannotRun(errors.New("not confirmed; nothing was sent"), "")
	}
	return nil
}

func (o *LoadOnefileOptions) openLedger(d *Deps, t *onefileTarget) (*ledger.Ledger, error) {
	path := o.State
	if path == "" && t.box != nil {
		// A sandbox lives as long as this process: its ledger too, so rehearsals leave no trace.
		dir, err := os.MkdirTemp("", "bulk-sandbox-ledger-")
		if err != nil {
			return nil, cannotRun(err, "")
		}
		prev := t.stop
		t.stop = func() { prev(); os.RemoveAll(dir) }
		path = filepath.Join(dir, "ledger.db")
	}
	if path == "" {
		var err error
		if path, err = d.ledgerPath(); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	led, err := ledger.Open(path)
	var newer *sqlstore.ErrNewer
	if errors.As(err, &newer) {
		// Another ledger would not know what the newer bulk's loads did: never advise one.
		return nil, cannotRun(err, "'bulk version' says which this is. Another --state would not know what the newer bulk's loads did.")
	}
	if err != nil {
		return nil, cannotRun(err, "Give another place with --state PATH.")
	}
	return led, nil
}

// onefileKinds are the kinds a OneFile load reads: those whose target is onefile.
func onefileKinds() []*pipeline.Kind { return catalog.KindsFor("onefile") }

// ItemRows names rows for a message: "learners.csv row 4, row 9, term.xlsx, sheet Staff row 2";
// past eight, the rest are counted and left to results.csv.
func ItemRows(its []*load.Item) string {
	var parts []string
	var last *pipeline.Source
	for i, it := range its {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("and %d more, listed in results.csv", len(its)-i))
			break
		}
		if it.Src != last {
			parts = append(parts, fmt.Sprintf("%s row %d", it.Src.Where(), it.Row))
		} else {
			parts = append(parts, fmt.Sprintf("row %d", it.Row))
		}
		last = it.Src
	}
	return strings.Join(parts, ", ")
}
