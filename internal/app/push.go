package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/lockfile"
	"github.com/bulkload/bulk/pipeline/report"
)

// PFKeyEnv holds the PeopleFluent system key. There is deliberately no flag for the key itself:
// a flag value shows in ps and in shell history.
const PFKeyEnv = "BULK_PF_SYSTEM_KEY"

// PFUserEnv holds the PeopleFluent system user name when --user is not given (see PFUser).
const PFUserEnv = "BULK_PF_USER"

// PFUser is the system user name a push sends: flag, else $BULK_PF_USER, else
// peoplefluent.DefaultUser. The vendor's reference says the LMS ignores it; the vendor's own
// client sends an administrator's user ID, so an LMS set up to check it gets the one its
// administrator gave.
// guess G35 (docs/guesses.md).
func PFUser(d Deps, flag string) (string, error) {
	name, from := strings.TrimSpace(flag), "--user"
	if name == "" {
		name, from = strings.TrimSpace(d.Env(PFUserEnv)), PFUserEnv
	}
	if name == "" {
		return peoplefluent.DefaultUser, nil
	}
	if err := peoplefluent.CheckUser(name); err != nil {
		return "", cannotRun(fmt.Errorf("%s: %w", from, err), "Ask the LMS administrator for the user ID to send with the system key.")
	}
	return name, nil
}

// PushOptions are the options of Push (bulk push peoplefluent). A caller that builds them itself
// sets every field: ChunkRows must be at least 1 (peoplefluent.DefaultChunkRows), and Retries 0
// means none.
type PushOptions struct {
	File      string // the payload
	Base      string // LMS root URL
	Endpoint  string // as the vendor spells it, e.g. trainingHistoryCsv
	ChunkRows int
	Retries   int
	KeyFile   string // "" reads BULK_PF_SYSTEM_KEY
	User      string // system user name; "" reads BULK_PF_USER, else peoplefluent.DefaultUser
	ReportDir string // gets results.csv and raw/
	NoBOM     bool   // results.csv without the UTF-8 byte order mark (--csv-bom=false)
	Quiet     bool
	PushLedgerOptions

	// onResult, when set, is told every result as it is known, beside results.csv
	// (LoadPeopleFluent maps them onto input rows in memory).
	onResult func(peoplefluent.Result)
}

// PushLedgerOptions say how a push uses the push ledger, which records every chunk so that the
// same push run again sends only what the LMS did not answer (bulk push and bulk load
// peoplefluent share them).
type PushLedgerOptions struct {
	// State is the push ledger's path; "" is pf-pushes.db beside the OneFile run ledger
	// (Deps.LedgerPath), so that all of bulk's state is in one folder.
	State string
	// ResendUnknown sends the rows an earlier run left unknown (someone checked that the LMS
	// does not have them).
	ResendUnknown bool
	// PushAgain starts a new push of a payload the ledger holds, instead of resuming it.
	PushAgain bool
}

// PushOutcome is what a push did: the LMS's answers counted (OK + Warnings + Failed + Unknown
// == Rows), and which chunks an earlier run of the same push had answered or left unknown.
// It ended with problems (exit 1 on the command line) when Problems() > 0.
type PushOutcome struct {
	peoplefluent.Summary
	File     string
	Endpoint peoplefluent.Endpoint
	Results  string // results.csv
	Kept     string // where an earlier push's results.csv in the same folder was moved, or ""
	Ledger   string // the push ledger's file
}

// ReadPFKey gets the PeopleFluent system key from keyFile, else from $BULK_PF_SYSTEM_KEY. A
// warning about the file (readable by others) goes to stderr.
func ReadPFKey(d Deps, keyFile string) (peoplefluent.Secret, error) {
	if keyFile != "" {
		key, warning, err := peoplefluent.KeyFromFile(keyFile)
		if err != nil {
			return key, cannotRun(err, "")
		}
		if warning != "" {
			fmt.Fprintf(d.stderr(), "bulk: warning: %s\n", warning)
		}
		return key, nil
	}
	key, err := peoplefluent.KeyFromEnvFunc(PFKeyEnv, d.Env)
	if err != nil {
		return key, cannotRun(err, "")
	}
	return key, nil
}

// Push posts the payload o.File and writes results.csv and raw/ into o.ReportDir. Failed rows
// are not an error: they are in the outcome. The error is an *Error (CannotRun) when the push
// could not run or stopped, or context.Canceled; the outcome is returned with it once the push
// has started.
func Push(ctx context.Context, d Deps, o PushOptions) (*PushOutcome, error) {
	ep, err := peoplefluent.ParseEndpoint(o.Endpoint)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	target, err := ep.URL(o.Base)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if o.ChunkRows < 1 {
		return nil, cannotRun(fmt.Errorf("--chunk-rows %d: give a number of rows of at least 1", o.ChunkRows), "")
	}
	if o.Retries < 0 {
		return nil, cannotRun(fmt.Errorf("--retries %d: give 0 (no retries) or more", o.Retries), "")
	}
	key, err := ReadPFKey(d, o.KeyFile)
	if err != nil {
		return nil, err
	}
	user, err := PFUser(d, o.User)
	if err != nil {
		return nil, err
	}

	f, err := os.Open(o.File)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	defer f.Close()
	if what := workbookKind(f); what != "" {
		return nil, cannotRun(fmt.Errorf("%s is %s, not a payload: push takes a payload from bulk export; for a spreadsheet use bulk load peoplefluent", o.File, what),
			"Nothing was sent. 'bulk load peoplefluent "+o.File+"' checks the spreadsheet, makes the payload and pushes it; 'bulk export' makes the payload alone.")
	}
	rows, err := peoplefluent.CheckPayload(ep, o.File, f)
	if err != nil {
		return nil, cannotRun(err, "Nothing was sent. Fix the file (or make it again with 'bulk export') and push it again. push takes a payload from bulk export; for a spreadsheet use bulk load peoplefluent.")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, cannotRun(err, "")
	}

	led, err := openPushLedger(d, o.State)
	if err != nil {
		return nil, err
	}
	defer led.Close()
	// The push's lock first: a second push of the same payload into the same folder would
	// otherwise move the running one's results.csv aside before finding it busy.
	lock, err := peoplefluent.LockPush(led, o.Base, ep, o.File, f)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	defer lock.Release()
	// A push lock in a shared PostgreSQL can be lost under this process: the push then stops.
	g, ctx := NewLockGuard(ctx)
	defer g.Stop()
	g.Watch(lock)
	d.warnOpenFolder(o.ReportDir)
	// And the report folder's: a push of another payload into the same folder (both with the
	// default --report, say) would move this one's results.csv aside, or this one its.
	if _, err := report.MakeDir(o.ReportDir); err != nil {
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	folderLock := filepath.Join(o.ReportDir, reportLockName)
	if lf, err := os.OpenFile(folderLock, os.O_RDONLY|os.O_CREATE, report.FileMode); err == nil {
		lf.Close() // made 0600 as the folder's other files are; lockfile would make it 0644
	}
	folder, err := lockfile.Acquire(folderLock)
	if err != nil {
		var he *lockfile.HeldError
		if errors.As(err, &he) {
			who := "another process"
			if he.Holder != nil {
				who = he.Holder.String()
			}
			return nil, cannotRun(fmt.Errorf("another push is writing its results into %s now: %s. Nothing was sent by this run", o.ReportDir, who),
				"Give this push a folder of its own with --report, or run it again once the other has finished.")
		}
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	defer folder.Release()
	// What the LMS told an earlier push in the same folder is kept, not overwritten (run the
	// same command again after a crash and the folder is the same), and its answers never
	// pass for this one's.
	kept, _, err := peoplefluent.KeepEarlierResults(o.ReportDir)
	if err != nil {
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	if kept != "" && !o.Quiet {
		fmt.Fprintf(d.stderr(), "The results of an earlier push in %s were kept: %s\n", o.ReportDir, kept)
	}
	rawDir := filepath.Join(o.ReportDir, "raw")
	if _, err := report.MakeDir(rawDir); err != nil { // personal data: 0700
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	resultsPath := filepath.Join(o.ReportDir, "results.csv")
	rf, err := report.CreateFile(resultsPath) // personal data: 0600
	if err != nil {
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	defer rf.Close()
	// The payload has no byte order mark (the LMS's format); the report does, for Excel.
	if err := report.WriteBOM(rf, !o.NoBOM); err != nil {
		return nil, cannotRun(fmt.Errorf("writing %s: %w", resultsPath, err), "")
	}
	rw := peoplefluent.NewResultWriter(rf)

	level := slog.LevelInfo
	if o.Quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(d.stderr(), &slog.HandlerOptions{Level: level, ReplaceAttr: pfDropTime}))
	if !o.Quiet {
		fmt.Fprintf(d.stderr(), "Pushing %s %s of %s to %s\n", Thousands(int64(rows)), Plural(int64(rows), "row", "rows"), o.File, target)
	}
	p := &peoplefluent.Pusher{
		Base:      o.Base,
		Key:       key,
		User:      user,
		ChunkRows: o.ChunkRows,
		Retries:   o.Retries,
		RawDir:    rawDir,
		Logger:    logger,
		OnResult: func(r peoplefluent.Result) error {
			if o.onResult != nil {
				o.onResult(r)
			}
			return rw.Write(r)
		},
		// A run killed later still leaves in results.csv what the LMS answered so far.
		AfterChunk: rw.Flush,

		Ledger:        led,
		Held:          lock,
		ResendUnknown: o.ResendUnknown,
		Again:         o.PushAgain,
	}
	if o.Retries == 0 {
		p.Retries = -1 // the flag's 0 means none; the field's 0 means the default
	}
	sum, pushErr := p.Push(ctx, ep, o.File, f)
	if err := rw.Flush(); err != nil {
		return nil, cannotRun(fmt.Errorf("writing %s: %w", resultsPath, err), "")
	}
	if err := rf.Close(); err != nil {
		return nil, cannotRun(fmt.Errorf("writing %s: %w", resultsPath, err), "")
	}
	out := &PushOutcome{Summary: sum, File: o.File, Endpoint: ep, Results: resultsPath, Kept: kept, Ledger: led.Path()}
	if lost := g.Lost(); lost != nil && pushErr != nil {
		return out, &Error{Kind: Interrupted, Err: lost, Hint: "Rows not sent are listed in " + resultsPath + ". Run the same command again once the database answers: it sends only what is left."}
	}
	if pushErr != nil {
		if errors.Is(pushErr, context.Canceled) {
			return out, pushErr // interrupted; results.csv says which rows were not sent
		}
		var ae *peoplefluent.AuthError
		if errors.As(pushErr, &ae) {
			return out, cannotRun(pushErr, "Nothing was sent after the refusal; "+resultsPath+" lists those rows as not sent.")
		}
		return out, cannotRun(pushErr, "Rows not sent are listed in "+resultsPath+".")
	}
	return out, nil
}

// openPushLedger opens the push ledger at path, or, when path is "", pf-pushes.db beside the
// OneFile run ledger.
func openPushLedger(d Deps, path string) (*pushledger.Ledger, error) {
	if path == "" {
		onefile, err := d.ledgerPath()
		if err != nil {
			return nil, cannotRun(err, "")
		}
		path = pushledger.Beside(onefile)
	}
	led, err := pushledger.Open(path)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	return led, nil
}

// reportLockName is the file in a push's report folder that one push at a time holds (an flock,
// see lockfile: a killed push leaves no stale lock).
const reportLockName = ".push.lock"

// pfDropTime leaves the time out of log lines on a terminal or in a cron mail:
// the lines are progress, not an audit log.
func pfDropTime(groups []string, attr slog.Attr) slog.Attr {
	if len(groups) == 0 && attr.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return attr
}

// workbookKind says what kind of spreadsheet workbook f holds ("an Excel workbook", ...), or ""
// for anything else, judging by its first bytes; f is left at its start. A payload is CSV or
// XML text, never a workbook, so a workbook given to push is a spreadsheet meant for load.
func workbookKind(f *os.File) string {
	var magic [8]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ""
	}
	switch {
	case n >= 4 && string(magic[:4]) == "PK\x03\x04":
		return "a spreadsheet workbook (.xlsx or .ods)"
	case n == 8 && string(magic[:]) == "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
		return "an old Excel workbook (.xls)"
	}
	return ""
}
