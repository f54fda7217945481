package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/lockfile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// loadTargets are the subcommands of `bulk load`, one per target system; each target's file
// appends its own in init, so `bulk load` itself is defined once, here.
var loadTargets []func(*App) *cobra.Command

func init() {
	loadTargets = append(loadTargets, newLoadOnefileCmd)
	register(newLoadCmd)
}

func newLoadCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "load TARGET FILE...",
		Short: "Validate spreadsheets and load the valid rows into a target system",
		Long:  "load validates like 'bulk validate', then loads the valid rows. See 'bulk load onefile --help'.\n\n" + exitStatusHelp,
	}
	for _, f := range loadTargets {
		cmd.AddCommand(f(a))
	}
	return cmd
}

// OneFile's API roots (shared/reference/onefile-api.md). Never a default: --url or --env.
var onefileEnvs = map[string]string{
	"beta":     "https://wsapibeta.onefile.co.uk/api/v2.1",
	"practice": "https://wsapi2.onefile.co.uk/api/v2.1",
	"live":     "https://wsapi.onefile.co.uk/api/v2.1",
}

const tokenEnv = "BULK_ONEFILE_TOKEN"

// sandboxRate is --rate for --sandbox when not given: the in-process sandbox has no limit.
const sandboxRate = 6000

type loadOnefileOpts struct {
	check       checkFlags
	url, env    string
	org         int
	tokenFile   string
	mode        string
	concurrency int
	rate        int
	dryRun      bool
	state       string
	sandbox     bool
	yes         bool
	drain       time.Duration
}

func newLoadOnefileCmd(a *App) *cobra.Command {
	var o loadOnefileOpts
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
$XDG_STATE_HOME/bulk/ledger.db (else ~/.local/state/bulk/ledger.db) unless --state is given;
'bulk runs' lists the runs. While a load sends it holds its organisation's lock (in locks/ beside
the ledger): a second load into the same organisation, by hand or from a nightly job, exits 2 at
once, sends nothing and names the load that holds it. A killed load releases it by itself; a dry
run takes none.

The customer token comes from $` + tokenEnv + ` or --token-file, never from a flag value.
Loading into live asks for confirmation on a terminal and needs --yes otherwise.

--report DIR receives the validation report plus results.csv (one line per input row:
file,sheet,row,kind,action,status,onefile_id,message) and, when OneFile returns passwords,
credentials.csv readable by you only.

` + exitStatusHelp,
		Example: `  bulk load onefile --sandbox samples/term-start.xlsx
  BULK_ONEFILE_TOKEN=... bulk load onefile --env beta --org 5740 --dry-run term.xlsx
  bulk load onefile --env live --org 5740 --token-file ~/.onefile-token --mode upsert --yes term.xlsx`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.sandbox && !cmd.Flags().Changed("rate") {
				o.rate = sandboxRate // a rehearsal need not wait for OneFile's limit
			}
			_, err := runLoadOnefile(cmd.Context(), a, &o, args)
			return err
		},
	}
	o.check.bind(cmd)
	fs := cmd.Flags()
	fs.StringVar(&o.url, "url", "", "OneFile API root, e.g. https://wsapibeta.onefile.co.uk/api/v2.1")
	fs.StringVar(&o.env, "env", "", "shortcut for --url: beta, practice or live")
	fs.IntVar(&o.org, "org", 0, "organisation (centre) `ID` to load into (needed when the token sees several)")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the customer token from `PATH` (else $"+tokenEnv+")")
	fs.StringVar(&o.mode, "mode", "create", "create (leave existing users alone), upsert (also update them) or update (only update)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "requests in flight at once")
	fs.IntVar(&o.rate, "rate", 300, "most API calls per minute, all workers together (OneFile allows 300; --sandbox: 6000 unless given)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "read OneFile only and report what each row would do")
	fs.StringVar(&o.state, "state", "", "run ledger `PATH` (default $XDG_STATE_HOME/bulk/ledger.db)")
	fs.BoolVar(&o.sandbox, "sandbox", false, "load into a OneFile sandbox started in this process (no account needed)")
	fs.BoolVar(&o.yes, "yes", false, "confirm a load into live without asking")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "after Ctrl-C, how long calls in flight may take to finish")
	return cmd
}

// target is where a load goes.
type target struct {
	url, token string
	live       bool
	box        *sandbox.Server
	stop       func()
}

func (o *loadOnefileOpts) target(ctx context.Context, a *App) (*target, error) {
	n := 0
	for _, set := range []bool{o.url != "", o.env != "", o.sandbox} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, cannotRun(errors.New("say where to load: give one of --url, --env or --sandbox"),
			"Try 'bulk load onefile --sandbox FILE' to rehearse with no account, or --env beta with a token from OneFile support.")
	}
	if o.sandbox {
		box := sandbox.New(sandbox.Config{})
		url, shutdown, err := box.Start("127.0.0.1:0")
		if err != nil {
			return nil, cannotRun(err, "")
		}
		if o.org == 0 {
			o.org = sandbox.DefaultSeed().Organisations[0].ID
		}
		return &target{url: url, token: box.CustomerToken(), box: box, stop: func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = shutdown(sctx)
		}}, nil
	}
	t := &target{url: strings.TrimRight(o.url, "/")}
	if o.env != "" {
		u, ok := onefileEnvs[strings.ToLower(o.env)]
		if !ok {
			return nil, cannotRun(fmt.Errorf("--env %q: use beta, practice or live", o.env), "")
		}
		t.url = u
	}
	t.live = strings.EqualFold(t.url, onefileEnvs["live"])
	tok, err := o.readToken(a)
	if err != nil {
		return nil, err
	}
	t.token = tok
	return t, nil
}

func (o *loadOnefileOpts) readToken(a *App) (string, error) {
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return "", cannotRun(fmt.Errorf("cannot read the token file: %w", err), "")
		}
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
		return "", cannotRun(fmt.Errorf("the token file %s is empty", o.tokenFile), "")
	}
	if tok := strings.TrimSpace(a.Getenv(tokenEnv)); tok != "" {
		return tok, nil
	}
	return "", cannotRun(errors.New("no OneFile customer token"),
		"Set "+tokenEnv+" or give --token-file PATH (a file only you can read). Tokens are issued by OneFile support.")
}

// confirmLive asks before writing to live: on a terminal a typed "yes", elsewhere --yes.
func confirmLive(a *App, t *target, o *loadOnefileOpts) error {
	if !t.live || o.dryRun || o.yes {
		return nil
	}
	f, ok := a.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return cannotRun(errors.New("this would load into OneFile live and nobody is here to confirm it"), "Add --yes to load into live unattended, or try --dry-run first.")
	}
	fmt.Fprintf(a.Stderr, "This loads into OneFile LIVE (%s), organisation %d. Type yes to go on: ", t.url, o.org)
	line, _ := bufio.NewReader(a.Stdin).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return cannotRun(errors.New("not confirmed; nothing was sent"), "")
	}
	return nil
}

// runLoadOnefile validates the inputs and loads their valid rows. Once validation has made the
// run's report it returns it whatever the error (rows rejected or failed, a load that stopped,
// an interruption), so a caller such as a nightly run reads the outcome from it; the report is
// nil only when the run stopped before validating.
func runLoadOnefile(ctx context.Context, a *App, o *loadOnefileOpts, args []string) (*report.Report, error) {
	mode, err := load.ParseMode(o.mode)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if o.concurrency < 1 || o.rate < 1 {
		return nil, cannotRun(errors.New("--concurrency and --rate must be at least 1"), "")
	}
	if len(args) == 0 {
		return nil, cannotRun(errors.New("no input files given"), "Give one or more .csv or .xlsx files, e.g. 'bulk load onefile --sandbox samples/term-start.xlsx'.")
	}
	t, err := o.target(ctx, a)
	if err != nil {
		return nil, err
	}
	if t.stop != nil {
		defer t.stop()
	}
	if err := confirmLive(a, t, o); err != nil {
		return nil, err
	}
	led, err := o.openLedger(a, t)
	if err != nil {
		return nil, err
	}
	defer led.Close()

	// Two loads into one organisation at once could both find a learner new and both create
	// them: a load holds the organisation's lock while it sends. Taken here when the organisation
	// is known, so a refused load has read and written nothing; otherwise by the loader once it
	// knows it. A dry run sends nothing and an in-process sandbox is this process's own.
	var note io.Writer
	if !o.check.quiet {
		note = a.Stderr
	}
	lockLater := !o.dryRun && t.box == nil
	if lockLater && o.org != 0 {
		lk, err := lockOrg(led, t.url, o.org, "", note)
		if err != nil {
			return nil, err
		}
		defer lk.Release()
		lockLater = false
	}

	// Validate: the collector keeps every row's place and the valid rows' values.
	col := load.NewCollector()
	o.check.tee = col
	res, err := o.check.check(ctx, a, args, col, onefileKinds())
	if err != nil {
		return nil, err
	}
	items := col.Items(res.rep.Rejected)

	client, err := newOnefileClient(t, o)
	if err != nil {
		return res.rep, cannotRun(err, "")
	}
	defer client.Close()
	prog := newLoadProgress(a, o.check.quiet, client)
	lo := load.Options{
		Client: load.NewAPIClient(client), Ledger: led, APIRoot: t.url, Org: o.org, Mode: mode,
		Concurrency: o.concurrency, DryRun: o.dryRun, Drain: o.drain, Fail: res.rep.Fail,
		Progress: prog.update, Inputs: args, ReportDir: o.check.reportDir, Logf: prog.logf,
	}
	if lockLater {
		lo.Lock = func(org load.Organisation) (func(), error) {
			lk, err := lockOrg(led, t.url, org.ID, org.Name, note)
			if err != nil {
				return nil, err
			}
			return func() { lk.Release() }, nil
		}
	}
	out, lerr := load.Run(ctx, items, lo)
	prog.finish()

	// The report: validation's files again (now with the load's failures), results, credentials.
	if err := load.WriteResults(o.check.reportDir, out.Results); err != nil {
		return res.rep, cannotRun(err, "Check that the report folder is writable.")
	}
	kept, kerr := keepEarlierCredentials(o.check.reportDir, len(out.Credentials))
	if kerr != nil {
		return res.rep, cannotRun(kerr, "Move "+filepath.Join(o.check.reportDir, "credentials.csv")+" somewhere safe, or choose another --report folder.")
	}
	credPath, cerr := load.WriteCredentials(o.check.reportDir, out.Credentials)
	if cerr != nil {
		return res.rep, cannotRun(cerr, "")
	}
	st := client.Stats()
	res.rep.Set("load", map[string]any{"target": t.url, "organisation": out.Org.ID, "mode": string(mode), "dry_run": o.dryRun,
		"run_id": out.RunID, "counts": out.Counts, "api_calls": st.Calls, "retries": st.Retries, "answers_429": st.TooMany,
		"interrupted": out.Interrupted})
	if err := res.rep.Write(); err != nil {
		return res.rep, cannotRun(err, "")
	}
	// Refused the organisation's lock: the error says it all, and the rows "not sent" why.
	busy := errors.Is(lerr, lockfile.ErrLocked)
	if !o.check.quiet && !busy {
		if msg := nothingChanged("load", res.rep.Counts(), rejectsFile(res.rep, o.check.reportDir)); msg != "" {
			fmt.Fprintf(a.Stderr, "%s Results: %s\n", msg, filepath.Join(o.check.reportDir, "results.csv"))
		} else {
			fmt.Fprintln(a.Stderr, loadSummary(out, o.dryRun, o.check.reportDir, st))
		}
		if credPath != "" {
			fmt.Fprintf(a.Stderr, "OneFile returned %d new logins: they are in %s (readable by you only). Hand them over securely, then delete the file.\n", len(out.Credentials), credPath)
		}
		if n := len(out.LostLogins); n > 0 {
			fmt.Fprintf(a.Stderr, "%d new %s created but OneFile's answer with the login was lost (%s): reset %s password in OneFile before handing it over.\n",
				n, plural(int64(n), "user was", "users were"), itemRows(out.LostLogins), plural(int64(n), "that user's", "their"))
		}
		if kept != "" {
			fmt.Fprintf(a.Stderr, "The logins of an earlier run in this report folder were kept: they are now in %s.\n", kept)
		}
	}
	if t.box != nil {
		snap := t.box.Snapshot()
		fmt.Fprintln(a.Stdout)
		_ = snap.WriteSummary(a.Stdout)
	}
	switch {
	case errors.Is(lerr, lockfile.ErrLocked):
		return res.rep, lerr // lockOrg's exit-2 error, saying who holds the organisation
	case errors.Is(lerr, load.ErrAuth):
		return res.rep, cannotRun(lerr, "Check the customer token ("+tokenEnv+" or --token-file) is for this environment and has not been revoked.")
	case out.Interrupted || ctx.Err() != nil:
		fmt.Fprintln(a.Stderr, "bulk: interrupted; what was done is recorded. Run the same command again to finish.")
		return res.rep, &ExitError{Code: ExitInterrupted}
	case lerr != nil && out.NotStarted:
		return res.rep, cannotRun(fmt.Errorf("nothing was sent: %w", lerr), "Fix that, then run the command again.")
	case lerr != nil:
		return res.rep, cannotRun(fmt.Errorf("the load stopped: %w", lerr), "What was done is recorded; fix the cause and run the same command again.")
	case !out.OK() || !res.counts.Clean():
		return res.rep, &ExitError{Code: ExitRejected}
	}
	return res.rep, nil
}

// keepEarlierCredentials moves an earlier run's credentials.csv aside to the first free
// credentials-N.csv before this run writes its own: "run the same command again" after Ctrl-C
// uses the same report folder, and OneFile never shows those passwords again. It returns the
// new name, or "" when nothing was moved (no new logins, or no earlier file).
func keepEarlierCredentials(dir string, n int) (string, error) {
	old := filepath.Join(dir, "credentials.csv")
	if n == 0 {
		return "", nil
	}
	if _, err := os.Lstat(old); err != nil {
		return "", nil
	}
	for i := 1; ; i++ {
		to := filepath.Join(dir, fmt.Sprintf("credentials-%d.csv", i))
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(old, to); err != nil {
			return "", fmt.Errorf("cannot keep the earlier logins in %s: %w", old, err)
		}
		return to, nil
	}
}

func (o *loadOnefileOpts) openLedger(a *App, t *target) (*ledger.Ledger, error) {
	path := o.state
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
		if path, err = ledger.DefaultPath(a.Getenv); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	led, err := ledger.Open(path)
	if err != nil {
		return nil, cannotRun(err, "Give another place with --state PATH.")
	}
	return led, nil
}

// onefileKinds are the kinds a OneFile load reads: those whose target is onefile.
func onefileKinds() []*pipeline.Kind {
	var ks []*pipeline.Kind
	for _, k := range pipeline.Kinds() {
		if k.Target == "onefile" {
			ks = append(ks, k)
		}
	}
	return ks
}

func newOnefileClient(t *target, o *loadOnefileOpts) (*api.Client, error) {
	return api.New(api.Config{BaseURL: t.url, CustomerToken: t.token, RatePerMinute: o.rate, Concurrency: o.concurrency})
}

func loadSummary(out *load.Outcome, dry bool, dir string, st api.Stats) string {
	c := out.Counts
	verb := "Loaded"
	if dry {
		verb = "Dry run (nothing sent)"
	}
	where := fmt.Sprintf(" into organisation %d", out.Org.ID)
	if out.Org.ID == 0 {
		// The load stopped before it knew where to load (e.g. the token sees several
		// organisations and --org was not given): nothing was sent.
		verb, where = "Nothing loaded", ""
	}
	// Rows a nightly run's diffing held back end "exists, skipped" in results.csv, but nobody
	// asked OneFile about them: they are counted apart from the ones found already there.
	var unchanged int64
	for _, r := range out.Results {
		if r.Item != nil && r.Item.Unchanged {
			unchanged++
		}
	}
	also := ""
	if unchanged > 0 {
		also = fmt.Sprintf(", %s unchanged since the last run", thousands(unchanged))
	}
	return fmt.Sprintf("%s%s: %s created, %s updated, %s assigned, %s already there, %s rejected, %s failed, %s skipped%s (%s API calls, %s retries). Results: %s",
		verb, where, thousands(okOf(out, load.ActCreate)), thousands(okOf(out, load.ActUpdate)), thousands(okOf(out, load.ActAssign)),
		thousands(c[load.ActExists]-unchanged), thousands(c[load.StatusRejected]), thousands(c[load.StatusFailed]),
		thousands(c[load.StatusSkipped]-c[load.ActExists]), also, thousands(st.Calls), thousands(st.Retries), filepath.Join(dir, "results.csv"))
}

// itemRows names rows for a message: "learners.csv row 4, row 9; term.xlsx, sheet Staff row 2".
func itemRows(its []*load.Item) string {
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

func okOf(out *load.Outcome, action string) int64 {
	var n int64
	for _, r := range out.Results {
		if r.Action == action && r.Status == load.StatusOK {
			n++
		}
	}
	return n
}

// loadProgress draws a bar on a terminal (rows done, calls/s, retries) and otherwise logs a line
// per stage and now and then.
type loadProgress struct {
	a      *App
	quiet  bool
	client *api.Client
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	start  time.Time
	last   time.Time
	stage  string
}

func newLoadProgress(a *App, quiet bool, c *api.Client) *loadProgress {
	return &loadProgress{a: a, quiet: quiet, client: c, start: time.Now()}
}

func (p *loadProgress) logf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.a.Stderr, format+"\n", args...)
}

func (p *loadProgress) update(pr load.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.client.Stats()
	rate := float64(st.Calls) / max(time.Since(p.start).Seconds(), 0.001)
	desc := fmt.Sprintf("%s · %.1f calls/s · %d retries", pr.Stage, rate, st.Retries)
	if p.a.StderrIsTerminal {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(pr.Total,
				progressbar.OptionSetWriter(p.a.Stderr),
				progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		p.bar.Describe(desc)
		_ = p.bar.Set(pr.Done)
		return
	}
	if pr.Stage != p.stage || time.Since(p.last) > 10*time.Second || pr.Done == pr.Total {
		p.stage, p.last = pr.Stage, time.Now()
		// Failed counts rows the load rejected (a reference naming nobody) and rows that
		// failed; the summary line tells them apart, so this line must not call both "failed".
		fmt.Fprintf(p.a.Stderr, "load: %d/%d rows done (%d not loaded) · %s\n", pr.Done, pr.Total, pr.Failed, desc)
	}
}

func (p *loadProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// teeReporter tells two reporters the same things, the report first.
type teeReporter [2]pipeline.Reporter

func (t teeReporter) Table(src *pipeline.Source, k *pipeline.Kind, ps []pipeline.Problem) {
	t[0].Table(src, k, ps)
	t[1].Table(src, k, ps)
}

func (t teeReporter) Row(r *pipeline.Row, out pipeline.Outcome) {
	t[0].Row(r, out)
	t[1].Row(r, out)
}

func (t teeReporter) Problem(p pipeline.Problem) {
	t[0].Problem(p)
	t[1].Problem(p)
}
