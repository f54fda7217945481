package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
)

func init() {
	register(newPushCmd)
	// 'bulk sandbox' itself is made in cmd_sandbox.go, shared with other targets.
	sandboxSubcommands = append(sandboxSubcommands, newSandboxPFCmd)
}

// envPFKey holds the PeopleFluent system key. There is deliberately no flag
// for the key itself: a flag value shows in ps and in shell history.
const envPFKey = "BULK_PF_SYSTEM_KEY"

func newPushCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Send a payload file made by 'bulk export' to the target system",
	}
	cmd.AddCommand(newPushPFCmd(a))
	return cmd
}

// pushPFOptions are the flags of 'bulk push peoplefluent'. A command that
// builds one itself (bulk load peoplefluent) sets every field: chunkRows must
// be at least 1 (peoplefluent.DefaultChunkRows), and retries 0 means none.
type pushPFOptions struct {
	base      string // LMS root URL
	endpoint  string // as the vendor spells it, e.g. trainingHistoryCsv
	chunkRows int
	retries   int
	keyFile   string // "" reads BULK_PF_SYSTEM_KEY
	reportDir string // gets results.csv and raw/
	quiet     bool
	// The push ledger (resuming): state is its path ("" = pushledger.DefaultPath).
	state         string
	resendUnknown bool
	pushAgain     bool
}

// bindResumeFlags adds the push ledger's flags (bulk push and bulk load peoplefluent).
func (o *pushPFOptions) bindResumeFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&o.state, "state", "", "push ledger `PATH` (default $XDG_STATE_HOME/bulk/"+pushledger.FileName+")")
	fs.BoolVar(&o.resendUnknown, "resend-unknown", false, "send again rows an earlier run left 'unknown' (after checking they are not in the LMS)")
	fs.BoolVar(&o.pushAgain, "push-again", false, "send the whole file again as a new push, even what an earlier push of it loaded")
}

func newPushPFCmd(a *App) *cobra.Command {
	var o pushPFOptions
	cmd := &cobra.Command{
		Use:   "peoplefluent --base URL --endpoint NAME FILE",
		Short: "Post a payload to a PeopleFluent LMS contentHandler endpoint and report each row",
		Long: `push peoplefluent posts a payload file to {base}/contentHandler/{endpoint} with the LMS's system
authentication and writes what the LMS said about every row to DIR/results.csv
(file,row,status,message; row as a spreadsheet shows the pushed file, header = row 1). The LMS's
raw answers are kept in DIR/raw/chunk-0001.txt, ... .

The system key is read from the ` + envPFKey + ` environment variable, or from --key-file (a file
readable only by you, the key on its first line). It is never accepted as a flag value.

CSV payloads go in chunks of --chunk-rows data rows, each with the header, one after another, so
one bad chunk does not block the rest. The whole file is checked before anything is sent. A chunk
the LMS did not take (connection refused, 503) is retried with backoff. A chunk whose outcome is
unknown (500, connection lost after sending, an answer that is not the LMS's) has the rows that
cannot be duplicated by a second post (updates) sent again; the others are reported 'unknown':
check them in the LMS. courses XML is posted whole.

Exit status:
  0    every row loaded (warnings are fine; read them in results.csv)
  1    some rows failed or are unknown (see results.csv)
  2    could not run: bad flags, no key, the file is not a valid payload, the LMS refused the key,
       the URL is wrong or the LMS cannot be reached
  130  interrupted (Ctrl-C); rows not sent are listed as such in results.csv

Resuming: every chunk is recorded in a push ledger (--state). Running the same command again on
the same file sends only what the LMS did not answer. When an answer was lost (the run was
killed, the connection dropped), rows that only update are sent again and rows that add are
reported 'unknown' in results.csv: check them in the LMS, then --resend-unknown sends them. An
earlier results.csv in the report folder is kept as results-1.csv (-2, ...), raw/ as raw-1/.`,
		Example: `  export ` + envPFKey + `="$(cat ~/.config/bulk/pf-key)"
  bulk push peoplefluent --base https://lms.example.com/ekp/ --endpoint trainingHistoryCsv out/training.csv
  bulk push peoplefluent --base https://lms.example.com/ekp/ --endpoint courses --key-file ~/.pf-key out/courses.xml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(cmd, fmt.Errorf("give exactly one payload file (got %d)", len(args)))
			}
			return o.run(cmd.Context(), a, args[0])
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.base, "base", "", "LMS root `URL`, e.g. https://lms.example.com/ekp/")
	fs.StringVar(&o.endpoint, "endpoint", "", "trainingHistoryCsv, externalTrainingCsv or courses")
	fs.IntVar(&o.chunkRows, "chunk-rows", peoplefluent.DefaultChunkRows, "data rows per request for CSV payloads")
	fs.IntVar(&o.retries, "retries", peoplefluent.DefaultRetries, "retries of a chunk the LMS did not take")
	fs.StringVar(&o.keyFile, "key-file", "", "read the system key from `PATH` instead of "+envPFKey)
	fs.StringVar(&o.reportDir, "report", "bulk-report", "`DIR` for results.csv and raw/ (created if absent)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only warnings and errors")
	o.bindResumeFlags(cmd)
	_ = cmd.MarkFlagRequired("base")
	_ = cmd.MarkFlagRequired("endpoint")
	return cmd
}

// readPFKey gets the system key from --key-file or the environment.
func readPFKey(a *App, keyFile string) (peoplefluent.Secret, error) {
	if keyFile != "" {
		key, warning, err := peoplefluent.KeyFromFile(keyFile)
		if err != nil {
			return key, cannotRun(err, "")
		}
		if warning != "" {
			fmt.Fprintf(a.Stderr, "bulk: warning: %s\n", warning)
		}
		return key, nil
	}
	key, err := peoplefluent.KeyFromEnvFunc(envPFKey, a.Getenv)
	if err != nil {
		return key, cannotRun(err, "")
	}
	return key, nil
}

func (o *pushPFOptions) run(ctx context.Context, a *App, path string) error {
	sum, err := o.push(ctx, a, path)
	if err != nil {
		return err
	}
	if sum.Problems() > 0 {
		return &ExitError{Code: ExitRejected}
	}
	return nil
}

// push posts the payload at path and writes results.csv and raw/ into
// o.reportDir. It is what 'bulk push peoplefluent' runs, and what 'bulk load
// peoplefluent' can run on the payload it exported: the Summary counts the
// rows (OK + Warnings + Failed == Rows); the error is an *ExitError (exit 2)
// when the push could not run or stopped, or context.Canceled (exit 130).
// Failed rows are not an error.
func (o *pushPFOptions) push(ctx context.Context, a *App, path string) (peoplefluent.Summary, error) {
	var none peoplefluent.Summary
	ep, err := peoplefluent.ParseEndpoint(o.endpoint)
	if err != nil {
		return none, cannotRun(err, "")
	}
	target, err := ep.URL(o.base)
	if err != nil {
		return none, cannotRun(err, "")
	}
	if o.chunkRows < 1 {
		return none, cannotRun(fmt.Errorf("--chunk-rows %d: give a number of rows of at least 1", o.chunkRows), "")
	}
	if o.retries < 0 {
		return none, cannotRun(fmt.Errorf("--retries %d: give 0 (no retries) or more", o.retries), "")
	}
	key, err := readPFKey(a, o.keyFile)
	if err != nil {
		return none, err
	}

	f, err := os.Open(path)
	if err != nil {
		return none, cannotRun(err, "")
	}
	defer f.Close()
	rows, err := peoplefluent.CheckPayload(ep, path, f)
	if err != nil {
		return none, cannotRun(err, "Nothing was sent. Fix the file (or make it again with 'bulk export') and push it again.")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return none, cannotRun(err, "")
	}

	led, err := o.openPushLedger(a)
	if err != nil {
		return none, err
	}
	defer led.Close()
	// An earlier push's results and answers in the same folder are kept, not overwritten.
	keptResults, _, err := peoplefluent.KeepEarlierResults(o.reportDir)
	if err != nil {
		return none, cannotRun(err, "Choose another folder with --report.")
	}
	rawDir := filepath.Join(o.reportDir, "raw")
	if err := os.MkdirAll(rawDir, 0o755); err != nil {
		return none, cannotRun(err, "Choose another folder with --report.")
	}
	if keptResults != "" && !o.quiet {
		fmt.Fprintf(a.Stderr, "The results of an earlier push in %s were kept: %s\n", o.reportDir, keptResults)
	}
	resultsPath := filepath.Join(o.reportDir, "results.csv")
	rf, err := os.Create(resultsPath)
	if err != nil {
		return none, cannotRun(err, "Choose another folder with --report.")
	}
	defer rf.Close()
	rw := peoplefluent.NewResultWriter(rf)

	level := slog.LevelInfo
	if o.quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: pfDropTime}))
	if !o.quiet {
		fmt.Fprintf(a.Stderr, "Pushing %s %s of %s to %s\n", thousands(int64(rows)), plural(int64(rows), "row", "rows"), path, target)
	}
	p := &peoplefluent.Pusher{
		Base:       o.base,
		Key:        key,
		ChunkRows:  o.chunkRows,
		Retries:    o.retries,
		RawDir:     rawDir,
		Logger:     logger,
		OnResult:   rw.Write,
		AfterChunk: rw.Flush,

		Ledger:        led,
		ResendUnknown: o.resendUnknown,
		Again:         o.pushAgain,
	}
	if o.retries == 0 {
		p.Retries = -1 // the flag's 0 means none; the field's 0 means the default
	}
	sum, pushErr := p.Push(ctx, ep, path, f)
	if err := rw.Flush(); err != nil {
		return none, cannotRun(fmt.Errorf("writing %s: %w", resultsPath, err), "")
	}
	if err := rf.Close(); err != nil {
		return none, cannotRun(fmt.Errorf("writing %s: %w", resultsPath, err), "")
	}
	if !o.quiet || pushErr != nil || sum.Problems() > 0 {
		// Sum.Chunks counts requests that got an answer; after a refused key it is 0.
		fmt.Fprintf(a.Stderr, "%s: %s %s, %d %s answered by %s: %s ok, %s %s, %s failed, %s unknown. Results: %s\n",
			path, thousands(int64(sum.Rows)), plural(int64(sum.Rows), "row", "rows"), sum.Chunks, plural(int64(sum.Chunks), "request", "requests"), ep,
			thousands(int64(sum.OK)), thousands(int64(sum.Warnings)), plural(int64(sum.Warnings), "warning", "warnings"),
			thousands(int64(sum.Failed)), thousands(int64(sum.Unknown)), resultsPath)
		if line := peoplefluent.ResumeLine(sum); line != "" {
			fmt.Fprintln(a.Stderr, line)
		}
	}
	if pushErr != nil {
		if errors.Is(pushErr, context.Canceled) {
			return sum, pushErr // exit 130; results.csv says which rows were not sent
		}
		var ae *peoplefluent.AuthError
		if errors.As(pushErr, &ae) {
			return sum, cannotRun(pushErr, "Nothing was sent after the refusal; "+resultsPath+" lists those rows as not sent.")
		}
		return sum, cannotRun(pushErr, "Rows not sent are listed in "+resultsPath+".")
	}
	return sum, nil
}

// openPushLedger opens the push ledger at --state, or at its default place beside the
// OneFile run ledger.
func (o *pushPFOptions) openPushLedger(a *App) (*pushledger.Ledger, error) {
	path := o.state
	if path == "" {
		p, err := pushledger.DefaultPath(a.Getenv)
		if err != nil {
			return nil, cannotRun(err, "")
		}
		path = p
	}
	led, err := pushledger.Open(path)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	return led, nil
}

// pfDropTime leaves the time out of log lines on a terminal or in a cron mail:
// the lines are progress, not an audit log.
func pfDropTime(groups []string, attr slog.Attr) slog.Attr {
	if len(groups) == 0 && attr.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return attr
}

// sandboxPFOptions are the flags of 'bulk sandbox peoplefluent'.
type sandboxPFOptions struct {
	addr         string
	keyFile      string
	seedFile     string
	contextPath  string
	errorShare   float64
	emptyAnswers bool
	echoAll      bool
	latency      time.Duration
}

func newSandboxPFCmd(a *App) *cobra.Command {
	var o sandboxPFOptions
	cmd := &cobra.Command{
		Use:   "peoplefluent [--addr 127.0.0.1:8090]",
		Short: "Serve a local PeopleFluent LMS contentHandler that checks payloads like the LMS",
		Long: `sandbox peoplefluent serves trainingHistoryCsv, externalTrainingCsv and courses under
http://ADDR/ekp/contentHandler/ until interrupted. It checks HTTP Basic system authentication
against the key in ` + envPFKey + ` or --key-file (when neither is given, it makes a random
rehearsal key in a file only you can read and says where; the key itself is never printed), checks every row against the vendor's field
tables and a seed of known users, learning modules and facilities, keeps what it loads, and answers
as the LMS does: the rows with a problem echoed with the message in an added last column, or
"No Error Occurred".

The built-in seed has users jsmith, adoe, mlee, pkhan, trainer1, trainer2, modules HS-101, FIRE-01,
GDPR-2026, FL-WS, LEAD-PROG, FA-EXAM, facilities LON-01, MAN-02, ONLINE, and users that misbehave
on purpose: broken.user (row fails), odd.user (row warns), crash.user (request answered 500),
busy.user (503 once), drop.user (loaded, then the connection is dropped once). --seed FILE
replaces it (JSON: {"users":[{"id":"..","fault":".."}],"modules":[{"id":"..","title":"..","type":"R"}],
"facilities":[".."],"any_user":false,"any_module":false}).

The base URL to push to is printed on standard output.`,
		Example: `  export ` + envPFKey + `=rehearsal-key
  bulk sandbox peoplefluent --addr 127.0.0.1:8090 &
  bulk push peoplefluent --base http://127.0.0.1:8090/ekp/ --endpoint trainingHistoryCsv out/training.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), a) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "`HOST:PORT` to listen on (port 0: any free port)")
	fs.StringVar(&o.keyFile, "key-file", "", "read the key the sandbox expects from `PATH` instead of "+envPFKey)
	fs.StringVar(&o.seedFile, "seed", "", "JSON `FILE` of known users, modules and facilities (default: built in)")
	fs.StringVar(&o.contextPath, "context-path", "/ekp/", "path of the LMS root")
	fs.Float64Var(&o.errorShare, "error-share", 0, "share (0-1) of requests answered 500 at random")
	fs.BoolVar(&o.emptyAnswers, "empty-answers", false, "answer with empty bodies, like LMS 10.1 and earlier")
	fs.BoolVar(&o.echoAll, "echo-all", false, "echo every row, not only rows with a problem")
	fs.DurationVar(&o.latency, "latency", 0, "answer each request this long after loading it (a slow LMS)")
	return cmd
}

func (o *sandboxPFOptions) run(ctx context.Context, a *App) error {
	key, keyHow, cleanup, err := pfSandboxKey(a, o.keyFile)
	if err != nil {
		return err
	}
	defer cleanup()
	seed := sandbox.DefaultSeed()
	if o.seedFile != "" {
		if seed, err = sandbox.LoadSeed(o.seedFile); err != nil {
			return cannotRun(err, "")
		}
	}
	if o.errorShare < 0 || o.errorShare > 1 {
		return cannotRun(fmt.Errorf("--error-share %v: give a share between 0 and 1", o.errorShare), "")
	}
	srv := sandbox.New(key, seed)
	srv.ContextPath = o.contextPath
	srv.ErrorShare = o.errorShare
	srv.EmptyAnswers = o.emptyAnswers
	srv.EchoAll = o.echoAll
	srv.Latency = o.latency
	base, stop, err := srv.Start(o.addr)
	if err != nil {
		return cannotRun(err, "Choose another --addr, or port 0 for any free port.")
	}
	// The base URL alone on stdout, so a script can capture it; the rest is for people.
	fmt.Fprintln(a.Stdout, base)
	if u, err := url.Parse(base); err == nil && !pfLoopbackHost(u.Hostname()) {
		fmt.Fprintf(a.Stderr, "bulk: warning: the sandbox listens on %s, beyond this machine; it is meant for rehearsals on loopback\n", u.Hostname())
	}
	fmt.Fprintf(a.Stderr, "PeopleFluent sandbox at %s (Ctrl-C to stop).\n%s\nPush with:\n  bulk push peoplefluent --base %s --endpoint trainingHistoryCsv%s FILE\n",
		base, keyHow.explain, base, keyHow.flag)
	<-ctx.Done()
	if err := stop(); err != nil {
		return cannotRun(err, "")
	}
	st := srv.Stats()
	var reqs, rows, loaded, rejected int
	for _, n := range st.Requests {
		reqs += n
	}
	for ep, n := range st.Rows {
		rows += n
		loaded += st.Loaded[ep]
		rejected += st.Rejected[ep]
	}
	fmt.Fprintf(a.Stderr, "Sandbox stopped: %d requests (%d refused for authentication), %d rows: %d loaded, %d rejected.\n", reqs, st.AuthFails, rows, loaded, rejected)
	return nil
}

// pfSandboxKeyHow tells the user how to give a push the key the sandbox expects.
type pfSandboxKeyHow struct {
	explain string // a sentence for stderr
	flag    string // " --key-file PATH" to add to the push example, or ""
}

// pfSandboxKey is the key the sandbox expects: from --key-file, from the
// environment, or, when neither is set, a fresh random rehearsal key written
// to a file only the user can read (removed by cleanup when the sandbox
// stops). The key itself is never printed: the user is told where it is.
func pfSandboxKey(a *App, keyFile string) (peoplefluent.Secret, pfSandboxKeyHow, func(), error) {
	none := func() {}
	if keyFile != "" || a.Getenv(envPFKey) != "" {
		key, err := readPFKey(a, keyFile)
		if err != nil {
			return key, pfSandboxKeyHow{}, none, err
		}
		if keyFile != "" {
			return key, pfSandboxKeyHow{
				explain: fmt.Sprintf("It expects the system key in %s: push with --key-file %s (or export %s=\"$(cat %s)\").", keyFile, keyFile, envPFKey, keyFile),
				flag:    " --key-file " + keyFile,
			}, none, nil
		}
		return key, pfSandboxKeyHow{
			explain: fmt.Sprintf("It expects the system key that is in %s in this shell: push from a shell with the same %s.", envPFKey, envPFKey),
		}, none, nil
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return peoplefluent.Secret{}, pfSandboxKeyHow{}, none, cannotRun(err, "")
	}
	f, err := os.CreateTemp("", "bulk-pf-sandbox-key-*")
	if err != nil {
		return peoplefluent.Secret{}, pfSandboxKeyHow{}, none, cannotRun(fmt.Errorf("cannot write a rehearsal key: %w", err), "Give a key with --key-file or "+envPFKey+".")
	}
	path := f.Name()
	cleanup := func() { _ = os.Remove(path) }
	// CreateTemp makes the file 0600: only this user can read the key.
	_, werr := fmt.Fprintln(f, "sandbox-"+base64.RawURLEncoding.EncodeToString(raw[:]))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		cleanup()
		return peoplefluent.Secret{}, pfSandboxKeyHow{}, none, cannotRun(fmt.Errorf("cannot write a rehearsal key: %w", werr), "Give a key with --key-file or "+envPFKey+".")
	}
	key, _, err := peoplefluent.KeyFromFile(path)
	if err != nil {
		cleanup()
		return key, pfSandboxKeyHow{}, none, cannotRun(err, "")
	}
	return key, pfSandboxKeyHow{
		explain: fmt.Sprintf("Neither --key-file nor %s was given, so it made a rehearsal key in %s (removed when the sandbox stops): push with --key-file %s (or export %s=\"$(cat %s)\").", envPFKey, path, path, envPFKey, path),
		flag:    " --key-file " + path,
	}, cleanup, nil
}

// pfLoopbackHost reports whether host (an IP or name) stays on this machine.
func pfLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
