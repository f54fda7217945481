package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// LoadPeopleFluentOptions are the options of LoadPeopleFluent: an export's, and a push's.
type LoadPeopleFluentOptions struct {
	ExportOptions
	Base      string
	KeyFile   string
	User      string // system user name (PFUser)
	ChunkRows int
	Retries   int
	PushLedgerOptions
	// CheckUsers reads the LMS's users (users200510Xml) before the push and rejects rows whose
	// user it does not have (rule reference, "no LMS user ID").
	CheckUsers bool
	// Verify reads the records back after the push (trainingHistoryXml) and reports rows the LMS
	// does not hold as sent (training-history only).
	Verify bool
}

// LoadPeopleFluentOutcome is what a PeopleFluent load did. Push is nil when nothing was pushed
// (no row passed the checks, or every valid row was unchanged).
type LoadPeopleFluentOutcome struct {
	Export *ExportOutcome
	Push   *PushOutcome
	Traced int // input rows given an LMS problem
	// Verify is what reading back found (--verify), nil without it or when the push stopped.
	Verify *VerifyPFOutcome
}

// LoadPeopleFluent validates the inputs, exports the valid rows and pushes them; what the LMS
// said about each row goes onto its input row in the report. Once the export has made the run's
// report it returns the outcome whatever the error.
func LoadPeopleFluent(ctx context.Context, d Deps, o LoadPeopleFluentOptions) (*LoadPeopleFluentOutcome, error) {
	ek, err := FindExportKind(o.KindName)
	if err != nil {
		return nil, cannotRun(err, "Run 'bulk load peoplefluent --help' for the kinds.")
	}
	// What would stop the push stops the load before anything is read or written.
	ep, err := peoplefluent.ParseEndpoint(ek.Endpoint)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if _, err := ep.URL(o.Base); err != nil {
		return nil, cannotRun(err, "")
	}
	key, err := ReadPFKey(d, o.KeyFile)
	if err != nil {
		return nil, err
	}
	user, err := PFUser(d, o.User)
	if err != nil {
		return nil, err
	}
	if o.Verify && ep != peoplefluent.TrainingHistoryCSV {
		return nil, cannotRun(fmt.Errorf("--verify reads training records back (trainingHistoryXml); %s has no documented read", ek.Kind.Name), "Leave out --verify.")
	}
	if o.CheckUsers {
		if o.vet, err = checkUsers(ctx, ek, peoplefluent.Reader{Base: o.Base, Key: key, User: user}); err != nil {
			return nil, err
		}
	}
	if o.Out == "" {
		if _, err := report.MakeDir(o.ReportDir); err != nil {
			return nil, cannotRun(err, "Choose another folder with --report.")
		}
		o.Out = filepath.Join(o.ReportDir, "payload-"+ek.Kind.Name+ek.Ext)
	}

	// Payload row i (0-based) came from input row rows[i]: the LMS answers by payload row, the
	// data officer fixes input rows. Eight bytes a row.
	var rows []rowRef
	srcs := map[int]*pipeline.Source{}
	maps := map[int]*pipeline.Mapping{} // a table's columns, so the LMS's answers name the officer's
	o.onRow = func(r *pipeline.Row) {
		src := r.Rec.Src
		if srcs[src.Index] == nil {
			srcs[src.Index], maps[src.Index] = src, r.Map
		}
		rows = append(rows, rowRef{src: int32(src.Index), row: int32(r.Rec.Row)})
	}
	o.noWrite = true
	exp, err := Export(ctx, d, o.ExportOptions)
	if exp == nil {
		return nil, err
	}
	out := &LoadPeopleFluentOutcome{Export: exp}
	if err != nil || exp.Rows == 0 {
		err = o.writeReport(exp.Report, err)
		exp.Counts = exp.Report.Counts()
		return out, err
	}
	tr := tracer{rows: rows, srcs: srcs, maps: maps, whole: ek.Ext == ".xml"}
	failed := map[int]bool{} // payload rows the LMS refused: --verify does not look for them
	push := PushOptions{File: o.Out, Base: o.Base, Endpoint: ek.Endpoint, ChunkRows: o.ChunkRows, Retries: o.Retries,
		KeyFile: o.KeyFile, User: o.User, ReportDir: o.ReportDir, NoBOM: o.NoBOM, Quiet: o.Quiet, PushLedgerOptions: o.PushLedgerOptions,
		onResult: func(r peoplefluent.Result) {
			tr.add(r)
			if o.Verify && r.Status == peoplefluent.StatusFailed {
				failed[r.Row] = true
			}
		}}
	pushed := d.now()
	out.Push, err = Push(ctx, d, push)
	if err == nil && o.Verify {
		out.Verify, err = verifyAfterPush(ctx, d, &o, pushed, failed, &tr)
	}
	// Whatever became of the push, what the LMS said about each row goes onto its input row.
	rep := exp.Report
	out.Traced = tr.report(rep.Rejected, rep.Fail, rep.Problem)
	if out.Push != nil {
		sum := out.Push.Summary
		rep.Set("push", map[string]any{"endpoint": string(ep), "rows": sum.Rows, "ok": sum.OK, "warnings": sum.Warnings,
			"failed": sum.Failed, "unknown": sum.Unknown, "requests": sum.Chunks, "results": out.Push.Results})
	}
	if v := out.Verify; v != nil {
		rep.Set("verify", map[string]any{"rows": v.Rows, "confirmed": v.Confirmed, "missing": v.Missing, "different": v.Different,
			"skipped": v.Skipped, "reads": v.Requests, "since": v.Since, "results": v.Results})
	}
	err = o.writeReport(rep, err)
	exp.Counts = rep.Counts()
	return out, err
}

type rowRef struct{ src, row int32 }

// tracer maps the LMS's answers, by payload row, onto the input rows they came from, in memory.
// courses.xml has one result for the whole file (row 0): it applies to every row in the
// document.
type tracer struct {
	rows    []rowRef
	srcs    map[int]*pipeline.Source
	maps    map[int]*pipeline.Mapping
	whole   bool
	answers []peoplefluent.Result // failed and warned results, as the push told them
}

func (t *tracer) add(r peoplefluent.Result) {
	switch r.Status {
	case peoplefluent.StatusUnknown:
		// The LMS may or may not have it: not loaded as far as bulk can tell, and the data
		// officer must look before it is sent again.
		r.Status, r.Message = peoplefluent.StatusFailed, "outcome unknown, check it in the LMS: "+r.Message
		t.answers = append(t.answers, r)
	case peoplefluent.StatusFailed, peoplefluent.StatusWarning:
		t.answers = append(t.answers, r)
	}
}

// report puts every failed or warned answer on its input row (fail for failed, warn for warned),
// passing over rows rejected before they were sent. It returns how many input rows were given
// an LMS problem.
func (t *tracer) report(rejected func(*pipeline.Source, int) bool, fail, warn func(pipeline.Problem)) int {
	n := 0
	for _, a := range t.answers {
		var refs []rowRef
		switch {
		case t.whole && a.Row == 0:
			refs = t.rows
		case a.Row >= 2 && a.Row-2 < len(t.rows):
			refs = t.rows[a.Row-2 : a.Row-1]
		default:
			continue // a row number the payload does not have: results.csv still says it
		}
		for _, ref := range refs {
			src := t.srcs[int(ref.src)]
			if rejected(src, int(ref.row)) {
				continue // rejected before it was sent (a late check): already explained
			}
			p := pipeline.Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: int(ref.row)}
			if !t.whole {
				p.Column = column(t.maps[int(ref.src)], src, a.Message)
			}
			if a.Status == peoplefluent.StatusFailed {
				p.Rule, p.Severity = peoplefluent.RuleLMSFailed, pipeline.Error
				p.Message = "The LMS did not load this row: " + strings.TrimSpace(a.Message)
				if rest, ok := strings.CutPrefix(a.Message, readBack); ok {
					p.Message = "The LMS does not hold this row as it was sent (read back after the push): " + rest
				}
				fail(p)
			} else {
				p.Rule, p.Severity = peoplefluent.RuleLMSWarning, pipeline.Warning
				p.Message = "The LMS loaded this row with a warning: " + strings.TrimSpace(a.Message)
				warn(p)
			}
			n++
		}
	}
	return n
}

// column is the input's header of the field the LMS's message names ("User ID jsmith does not
// exist": the table's Login column, if that is what it calls USERID), so the row's cell is
// marked in rejects.xlsx; "" when the message names none.
func column(m *pipeline.Mapping, src *pipeline.Source, msg string) string {
	if m == nil || m.Kind == nil {
		return ""
	}
	f := m.Kind.FieldNamedIn(msg)
	if f < 0 {
		return ""
	}
	if c := m.Col[f]; c >= 0 && c < len(src.Header) {
		return src.Header[c]
	}
	return m.Kind.Fields[f].Name
}

// verifyMargin is how long before the push began --verify asks for records from
// (lastUpdatedStart): the LMS's clock may be behind this machine's.
const verifyMargin = time.Hour

// verifyAfterPush reads back what the push loaded; rows the LMS does not hold as sent go onto
// their input rows (rule lms-failed), so the load's counts and exit status say so.
func verifyAfterPush(ctx context.Context, d Deps, o *LoadPeopleFluentOptions, pushed time.Time, failed map[int]bool, tr *tracer) (*VerifyPFOutcome, error) {
	vo := VerifyPFOptions{File: o.Out, Base: o.Base, KeyFile: o.KeyFile, User: o.User, ReportDir: o.ReportDir, NoBOM: o.NoBOM, Quiet: o.Quiet,
		since: pushed.Add(-verifyMargin),
		skip: func(row int) string {
			if failed[row] {
				return "the LMS refused this row when it was pushed (results.csv)"
			}
			return ""
		},
		onResult: func(r peoplefluent.VerifyResult) {
			if r.Status == peoplefluent.VerifyMissing || r.Status == peoplefluent.VerifyDifferent {
				tr.add(peoplefluent.Result{File: r.File, Row: r.Row, Status: peoplefluent.StatusFailed, Message: readBack + r.Message})
			}
		}}
	v, err := VerifyPeopleFluent(ctx, d, vo)
	if v != nil && err == nil && (!o.Quiet || v.Problems() > 0) {
		v.WriteText(d.stderr())
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		err = cannotRun(fmt.Errorf("the push finished (see results.csv), but reading the records back failed: %w", err),
			"Run 'bulk verify peoplefluent --base URL "+filepath.Join(o.ReportDir, "results.csv")+"' again later.")
	}
	return v, err
}

// readBack starts the messages of rows --verify found missing or different.
const readBack = "read back after the push: "

// checkUsers reads the LMS's active users once (users200510Xml) and returns the check that
// rejects a row whose user the LMS does not have, before it goes into the payload.
func checkUsers(ctx context.Context, ek *ExportKind, r peoplefluent.Reader) (func(*pipeline.Row), error) {
	f := -1
	for _, name := range []string{"USERID", "UserId"} {
		if f < 0 {
			f = ek.Kind.FieldIndex(name)
		}
	}
	if f < 0 {
		return nil, cannotRun(fmt.Errorf("--check-users applies to training-history and external-training; %s rows name no user", ek.Kind.Name), "Leave out --check-users.")
	}
	users, err := r.ActiveUsers(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, cannotRun(fmt.Errorf("--check-users could not read the LMS's users: %w", err), "Nothing was sent. Leave out --check-users to load without the check.")
	}
	return func(row *pipeline.Row) {
		id := strings.TrimSpace(row.Value(f))
		if id == "" {
			return // a row that only makes a session
		}
		if _, ok := users[strings.ToLower(id)]; !ok {
			row.Errorf(f, peoplefluent.RuleReference, "%s", peoplefluent.NoUserMessage(id))
		}
	}, nil
}
