// Package load is `bulk load onefile`: it takes the rows a validation run accepted and creates,
// updates and assigns users in OneFile through a Client, as fast as the API allows, never
// creating anyone twice, and says what happened to every row.
//
// The load runs in stages, each concurrent (N workers draining a channel a producer fills),
// each waiting for what it depends on: staff first (roles 4, 5, 10, 40, 45), then learners
// (whose default assessor and employer must exist), then assignments (learner and assignee
// must exist). References to people by MISID or Email are resolved after the rows they name
// are done; classrooms, placements, standards and units by name are looked up once per run.
//
// Never twice: every change is written to the run ledger as an intent before the call and as
// done or failed after it. A create whose outcome is unknown (dropped connection, timeout, 5xx)
// is followed by a search by MISID or Email before any retry; a later run starts from a fresh
// download of the organisation's users, so it finds what an interrupted run created.
package load

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/aims"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/pipeline"
)

// Rule codes the loader reports with.
const (
	RuleAPI       = "api"
	RuleReference = "reference"
	RuleNotSent   = "not-sent"
	// RuleConcurrent: another load recorded the row in the ledger while this one ran. Loads
	// sharing a ledger are kept apart by the organisation's lock; this is the ledger's own guard.
	RuleConcurrent = "concurrent-load"
	// RuleIdentity: the row matched a OneFile user by MISID or Email, but its ULN, or two of its
	// names and date of birth, differ: another person, so it is not sent.
	RuleIdentity = "identity-change"
	// RuleEmailTaken: an update would give the user an e-mail another OneFile user holds.
	RuleEmailTaken = "email-taken"
	// RuleStale: applying a plan, the row's OneFile user changed since the plan was made.
	RuleStale = "stale"
	// RulePlanned: applying a plan, a row the plan had rejected (its reason follows).
	RulePlanned = "rejected-in-plan"
)

// Rules are the rule codes the loader reports with, for `bulk rules` (internal/catalog). The
// OneFile kinds' own list describes RuleReference (onefile.RuleReference) as validation finds it.
var Rules = []pipeline.Rule{
	{Code: RuleAPI, Summary: "OneFile refused or failed the row during a load; the message is OneFile's.", Example: "HTTP 400: PlacementID 12 does not exist"},
	{Code: RuleConcurrent, Summary: "Not sent to OneFile because another load recorded the same row while this one ran; run again once it has finished.", Example: "two loads into one organisation at once"},
	{Code: RuleIdentity, Summary: "Not sent: the row matched a OneFile user by MISID or Email, but the ULN, or two of first name, last name and date of birth, differ, so it looks like another person. --allow-identity-change sends it anyway.", Example: "MISID L-17 is Amy Stone on OneFile, Amira Khan in the row"},
	{Code: RuleEmailTaken, Summary: "Not sent: the update would give the user an e-mail address another OneFile user already has.", Example: "Email j.smith@example.ac.uk already belongs to OneFile user 100231"},
	{Code: RuleStale, Summary: "Not sent by 'bulk apply': the OneFile user changed after the plan was made; make the plan again.", Example: "FirstName was \"Amy\" when planned, now \"Amelia\""},
	{Code: RulePlanned, Summary: "Not sent by 'bulk apply': the plan had rejected the row, for the reason given; fix the input and make the plan again.", Example: "rejected when planned: LastName is required"},
	{Code: RuleNotSent, Summary: "Not sent to OneFile because a row it depends on was rejected or failed.", Example: "an assignment whose learner could not be created"},
	{Code: RuleReference, Summary: "A row refers to another row or ID that cannot be right.", Example: "DefaultAssessorMISID naming nobody in the input or on OneFile"},
}

// Mode says what to do with users that already exist on OneFile.
type Mode string

// The modes.
const (
	Create Mode = "create" // create new users; leave existing ones alone (action exists)
	Upsert Mode = "upsert" // create new users, update existing ones where they differ
	Update Mode = "update" // update existing users only
)

// ParseMode reads --mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Create, Upsert, Update:
		return m, nil
	case "":
		return Create, nil
	}
	return "", fmt.Errorf("--mode %q: use create, upsert or update", s)
}

// Actions and statuses of results.csv.
const (
	ActCreate = "create"
	ActUpdate = "update"
	ActExists = "exists"
	ActAssign = "assign"
	ActReject = "reject"
	// ActConflict: the row matched a OneFile user who looks like another person (RuleIdentity).
	ActConflict = "conflict"
	// ActNotData: a row that is not a row of data (a totals line under the table): passed over,
	// never sent, never planned as anything to do.
	ActNotData = "not-data"

	StatusOK       = "ok"
	StatusRejected = "rejected"
	StatusFailed   = "failed"
	StatusSkipped  = "skipped"
	// StatusStale: applying a plan, the row's OneFile record had changed since; not sent.
	StatusStale = "stale"
)

// Options configure a load.
type Options struct {
	// MonthFirst shows dates in messages month first (08/31/2028), as an input read with
	// --date-order mdy has them; otherwise day first (31/08/2028).
	MonthFirst  bool
	Client      Client
	Ledger      *ledger.Ledger // nil: no ledger (a rehearsal against a throw-away sandbox)
	APIRoot     string         // with Org, the scope of the ledger's keys
	Org         int            // 0: the only organisation the token sees
	Mode        Mode
	Concurrency int  // workers per stage; default 4
	DryRun      bool // search only, report what would be done
	// Drain is how long calls already in flight may take to finish after ctx is cancelled
	// (Ctrl-C); no new row is started. Default 30s.
	Drain time.Duration
	// FindNewWait is how long the load goes on searching for users it created with the keychain
	// setting on (the answer carries no ID) while OneFile's search does not list them yet (its
	// index lags behind a create): searches are repeated with backoff for this long before rows
	// naming such a user are not sent. Default 30s; negative: one search only.
	FindNewWait time.Duration
	// Progress is told each time a row finishes. Called from one goroutine.
	Progress func(Progress)
	// Inputs and ReportDir are recorded with the run in the ledger.
	Inputs    []string
	ReportDir string
	// Logf, when set, gets one line per stage.
	Logf func(format string, args ...any)
	// Lock, when set, is called once the organisation is known and before the ledger is read or
	// anything is sent; the load holds what it returns until it ends, then calls release. An
	// error stops the load with nothing sent: another load is sending to the organisation.
	// (A caller that knows the organisation beforehand may take its lock itself instead.)
	Lock func(org Organisation) (release func(), err error)
	// Credentials, when set, gets each login OneFile returns as its answer arrives, before the
	// ledger records the create as done; if it cannot keep one, the load stops creating and
	// its error names the rows whose logins are at risk. Nil keeps them in Outcome only.
	Credentials *CredentialLog
	// AllowIdentityChange sends updates the identity guard would stop (RuleIdentity).
	AllowIdentityChange bool
	// Planned, when set, is the saved plan being applied (by Item.Seq): each row is re-checked
	// against OneFile just before it is written, and not sent when its record moved (stale).
	Planned map[int]*PlanRow
	// Leavers, when set, picks the organisation's users to archive once the rows are loaded
	// (a nightly full export's on_missing: archive; leavers.go). LeaverLimit, when set, says
	// why so many leavers must not be archived ("" when they may).
	Leavers     func(u *User) bool
	LeaverLimit func(n int) string
}

// Progress is the loader's advance.
type Progress struct {
	Stage       string
	Done, Total int // rows finished, rows to load (valid rows)
	Failed      int
}

// Result is one row's outcome: a line of results.csv.
type Result struct {
	Item      *Item
	Action    string
	Status    string
	OneFileID string
	Message   string
	// Changes are an update's fields (planned or sent); Before holds OneFile's values of the
	// row's fields as the decision saw them (what apply re-checks).
	Changes []Change
	Before  map[string]any
	// Would is set by a dry run for a row it would send (Action: create, update or assign):
	// what its plan carries out.
	Would bool
	// Rule is set for a row that failed at OneFile or whose references did not resolve: the
	// rule code its problem goes into the reject report with (Problem), once the load has ended.
	Rule string
	// Field is the kind's field the problem concerns (DefaultAssessorMISID naming nobody), so
	// its cell is marked in rejects.xlsx; "" when it is about the whole row (OneFile refused it).
	Field string
	// NotOnTarget: the row came Unchanged (its content as last sent), but OneFile's download
	// holds no user with its MISID or Email, so it was planned as any new row (created).
	NotOnTarget bool
}

// Problem is the reject report's problem for a row that failed at OneFile or whose references
// did not resolve (Rule set); ok is false for any other row.
func (r *Result) Problem() (p pipeline.Problem, ok bool) {
	if r.Rule == "" || r.Item == nil {
		return p, false
	}
	src := r.Item.Src
	return pipeline.Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: r.Item.Row, Column: r.Item.column(r.Field),
		Value: r.Item.value(r.Field), Rule: r.Rule, Severity: pipeline.Error, Message: r.Message}, true
}

// Credential is a login OneFile returned for a new user (keychain off). The password is a
// secret: it goes only to the owner-only credentials file.
type Credential struct {
	Item     *Item
	ID       int
	Username string
	Password string
}

// Outcome is what a load did.
type Outcome struct {
	RunID       int64 // 0 without a ledger
	Org         Organisation
	Results     []Result // one per item, in input order
	Credentials []Credential
	// LostLogins are the rows whose user was created (confirmed by a search after the answer
	// was lost) with the keychain off: OneFile made a login, but its password never arrived.
	LostLogins []*Item
	// NotStarted is set when the load stopped before sending anything (the organisation could
	// not be chosen, the token was refused, another load holds the organisation): its rows are
	// not sent, not failed.
	NotStarted  bool
	Interrupted bool
	// Keychain: OneFile answered creates with no ID and no login (the centre's keychain setting
	// is on): each new user gets an e-mail from OneFile to verify their account instead.
	Keychain bool
	Started  time.Time
	Finished time.Time
	// Counts by status and by action ("ok", "failed", "create", ...).
	Counts map[string]int64
	// Leavers are the users archived (or a dry run would archive) as gone from a full export.
	Leavers []Leaver
}

// OK reports whether every row was loaded or had nothing to do.
func (o *Outcome) OK() bool {
	return o.Counts[StatusRejected] == 0 && o.Counts[StatusFailed] == 0 && o.Counts[StatusStale] == 0
}

const (
	maxAttempts   = 8 // per change; each after a search proved the previous one made nothing
	searchRetries = 3
)

// Staff roles load before learners: learners name their default assessor and employer.
var staffRoles = map[int]bool{4: true, 5: true, 10: true, 40: true, 45: true}

type plan uint8

const (
	planNone plan = iota
	planCreate
	planUpdate
)

// work is one row on its way through the load. A work is owned by one goroutine at a time
// (the planner, then one stage worker); others read it only after its stage has finished.
type work struct {
	it           *Item
	role         int
	key          string // the ledger's natural key of a user row
	misid, email string // lower-cased, for matching
	existing     *User
	plan         plan
	id           int  // OneFile ID, once known
	needID       bool // created with the keychain on: the ID is still to be found
	done         bool // has a result
	res          Result
	problem      string // the reject report's message, with rule
	rule         string
	field        string          // the kind's field the problem concerns, if one
	stage        string          // the stage that finished it, for progress
	assign       *resolvedAssign // an assignment row, resolved once before its stage (preclaim)
	notOnTarget  bool            // an Unchanged row whose user OneFile does not hold
	lostLogin    bool            // created by an earlier run stopped before the answer with its login came
}

// unchangedMessage is results.csv's word for a row diffing held back whose user is on OneFile.
const unchangedMessage = "unchanged since it was last sent; not sent again"

// resolvedAssign is an assignment row with its people and IDs resolved.
type resolvedAssign struct {
	assignee int
	a        Assignment
	err      error
}

func (w *work) ok() bool {
	return w.done && (w.res.Status == StatusOK || w.res.Status == StatusSkipped) && w.id != 0
}

type loader struct {
	o       Options
	callCtx context.Context // for calls in flight: outlives a Ctrl-C by o.Drain
	scope   ledger.Scope
	org     Organisation
	runID   int64
	led     map[string]ledger.Item

	byMISID, byEmail map[string][]*User // OneFile's users
	byID             map[int]*User      // OneFile's users by ID (rows that give OneFileID: byid.go)
	inMISID, inEmail map[string]*work   // the input's valid user rows
	refs             map[string][]Ref   // "Classroom/lower name" → refs
	orgs             []Organisation     // every organisation the token sees (for hints)
	hints            hints              // suggestions for references that name nothing

	out      chan *work
	total    int
	credMu   sync.Mutex
	creds    []Credential
	lost     []*Item
	atRisk   []*Item      // created, but the login could not be written to Options.Credentials
	sending  atomic.Bool  // a stage has started: rows may have been sent
	keychain atomic.Bool  // a create was answered with no ID (the keychain setting on)
	stage    atomic.Value // string
	nUsers   int          // users OneFile held at the start
	claimMu  sync.Mutex
	claimed  map[string]*work // assignment keys this run has sent
	aims     []*work          // onefile-standards rows: the learning aims stage (aims.go)
	gone     []Leaver         // leavers archived (leavers.go)
	release  func()           // Options.Lock's, once taken
}

// Run loads items (all rows of a validation run, in input order) and returns what happened to
// each. The error is for what stopped the whole load (authentication refused, the ledger not
// writable, OneFile unreachable at the start); the Outcome is complete even then, every row not
// done saying why. ctx cancelled (Ctrl-C) stops new calls; Outcome.Interrupted is then set.
func Run(ctx context.Context, items []*Item, o Options) (*Outcome, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Mode == "" {
		o.Mode = Create
	}
	if o.Drain <= 0 {
		o.Drain = 30 * time.Second
	}
	callCtx, cancel := drainContext(ctx, o.Drain)
	defer cancel()
	l := &loader{o: o, callCtx: callCtx, led: map[string]ledger.Item{},
		byMISID: map[string][]*User{}, byEmail: map[string][]*User{}, byID: map[int]*User{},
		inMISID: map[string]*work{}, inEmail: map[string]*work{}, refs: map[string][]Ref{}, claimed: map[string]*work{},
		out: make(chan *work, 64)}
	l.stage.Store("starting")
	out := &Outcome{Started: time.Now(), Counts: map[string]int64{}}

	works := make([]*work, len(items))
	var staff, learners, assigns []*work
	for i, it := range items {
		w := &work{it: it}
		works[i] = w
		switch {
		case it.Rejected:
			w.finish(ActReject, StatusRejected, it.Why)
		case it.NotData:
			w.finish(ActNotData, StatusSkipped, "not loaded: "+it.Why)
		case it.Unchanged && (it.User == nil || it.Kind.Name != onefile.Users.Name):
			w.finish(ActExists, StatusSkipped, unchangedMessage)
		case it.Kind.Name == onefile.Users.Name:
			l.total++
			if !l.classifyUser(w) {
				continue
			}
			if w.role == 1 {
				learners = append(learners, w)
			} else {
				staff = append(staff, w)
			}
		case it.Kind.Name == onefile.Assignments.Name && it.Assign != nil:
			l.total++
			assigns = append(assigns, w)
		case it.Kind.Name == aims.Kind.Name && it.Aim != nil:
			l.total++
			l.aims = append(l.aims, w)
		default:
			w.finish("", StatusSkipped, fmt.Sprintf("not loaded: %s rows are not for OneFile", it.Kind.Name))
		}
	}

	// The results sink: one goroutine counts finished rows and tells progress. Their problems
	// reach the report from the Outcome's Results, after the load.
	sinkDone := make(chan struct{})
	go func() {
		defer close(sinkDone)
		n, failed := 0, 0
		for w := range l.out {
			n++
			if w.res.Status == StatusFailed || w.res.Status == StatusRejected {
				failed++
			}
			if o.Progress != nil {
				stage := w.stage
				if stage == "" {
					stage = l.stage.Load().(string)
				}
				o.Progress(Progress{Stage: stage, Done: n, Total: l.total, Failed: failed})
			}
		}
	}()
	for _, w := range works { // rows decided before any call (role unreadable)
		if w.done && !w.it.Rejected && w.problem != "" {
			l.emit(w)
		}
	}

	defer func() {
		if l.release != nil {
			l.release() // after the run's results are in the ledger
		}
	}()
	err := l.run(ctx, staff, learners, assigns)
	if len(l.atRisk) > 0 {
		err = &LoginsAtRisk{Rows: l.atRisk, Err: l.o.Credentials.err}
	}
	close(l.out)
	<-sinkDone

	out.Org = l.org
	out.RunID = l.runID
	out.Interrupted = ctx.Err() != nil
	out.NotStarted = err != nil && !l.sending.Load()
	why := "not sent: the run was interrupted; run the same command again to finish (the ledger skips what was done)"
	if err != nil && !out.Interrupted {
		why = "not sent: " + firstLine(err.Error())
	}
	for _, w := range works {
		if !w.done {
			w.finish("", StatusSkipped, why)
			// A load that stopped before its first call changed nothing: its rows were not
			// tried, so they did not fail (the error says what to fix).
			if err != nil && !out.Interrupted && !out.NotStarted {
				w.res.Status = StatusFailed
			}
		}
		if w.problem != "" && !w.it.Rejected {
			w.res.Rule, w.res.Message, w.res.Field = w.rule, w.problem, w.field
		}
		w.res.NotOnTarget = w.notOnTarget
		out.Results = append(out.Results, w.res)
		out.Counts[w.res.Status]++
		if w.res.Action != "" {
			out.Counts[w.res.Action]++
		}
	}
	out.Leavers = l.gone
	out.Credentials = l.creds
	out.LostLogins = append(l.lost, l.atRisk...)
	out.Finished = time.Now()
	out.Keychain = l.keychain.Load()
	if o.Ledger != nil && l.runID != 0 {
		if lerr := l.saveRun(out, err); lerr != nil && err == nil {
			err = lerr
		}
	}
	return out, err
}

// emit hands a row decided outside the stages to the results sink.
func (l *loader) emit(w *work) {
	w.stage = l.stage.Load().(string)
	l.out <- w
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func (l *loader) saveRun(out *Outcome, runErr error) error {
	rs := make([]ledger.Result, len(out.Results))
	for i, r := range out.Results {
		rs[i] = ledger.Result{Seq: i, File: r.Item.Src.File, Sheet: r.Item.Src.Sheet, Row: r.Item.Row, Kind: r.Item.Kind.Name,
			Action: r.Action, Status: r.Status, OneFileID: r.OneFileID, Message: r.Message}
	}
	for _, g := range out.Leavers { // no input row: listed by their OneFile ID
		rs = append(rs, ledger.Result{Seq: len(rs), Kind: onefile.Users.Name, Action: ActArchive, Status: g.Status, OneFileID: strconv.Itoa(g.ID), Message: g.Message})
	}
	ctx := context.Background()
	if err := l.o.Ledger.AddResults(ctx, l.runID, rs); err != nil {
		return err
	}
	status := "ok"
	switch {
	case out.Interrupted:
		status = "interrupted"
	case runErr != nil:
		status = "error"
	case out.Counts[StatusFailed] > 0:
		status = "failed" // OneFile refused rows, or rows depending on them were not sent
	case !out.OK():
		status = "rejected rows" // the run did all it could; the rejected rows need fixing
	}
	return l.o.Ledger.FinishRun(ctx, l.runID, status, out.Counts)
}

// run does the load's steps in order; any error it returns stops the load.
func (l *loader) run(ctx context.Context, staff, learners, assigns []*work) error {
	if l.total == 0 {
		return nil
	}
	if err := l.findOrg(ctx); err != nil {
		return err
	}
	if l.o.Lock != nil {
		release, err := l.o.Lock(l.org)
		if err != nil {
			return err
		}
		l.release = release
	}
	l.scope = ledger.Scope{APIRoot: l.o.APIRoot, Org: l.org.ID}
	if lg := l.o.Ledger; lg != nil {
		var err error
		if l.runID, err = lg.StartRun(ctx, ledger.Run{APIRoot: l.o.APIRoot, Org: l.org.ID, Mode: string(l.o.Mode),
			DryRun: l.o.DryRun, Inputs: l.o.Inputs, Report: l.o.ReportDir}); err != nil {
			return err
		}
		if l.led, err = lg.Items(ctx, l.scope); err != nil {
			return err
		}
	}
	l.stage.Store("reading OneFile")
	if err := l.download(ctx); err != nil {
		return err
	}
	if err := l.loadRefs(ctx, append(append(append([]*work{}, staff...), append(learners, assigns...)...), l.aims...)); err != nil {
		return err
	}
	l.stage.Store("matching")
	for _, ws := range [][]*work{staff, learners} {
		for _, w := range ws {
			l.planUser(w)
		}
	}
	l.logf("OneFile organisation %d (%s) holds %d users; %s.",
		l.org.ID, l.org.Name, l.nUsers, toLoad(len(staff), len(learners), len(l.aims), len(assigns)))
	stages := []struct {
		name string
		ws   []*work
		do   func(context.Context, *work) error
	}{
		{"staff", staff, l.doUser},
		{"learners", learners, l.doUser},
		{"learning aims", l.aims, l.doAim},
		{"assignments", assigns, l.doAssign},
	}
	for _, s := range stages {
		if ctx.Err() != nil {
			return nil
		}
		l.sending.Store(true)
		l.stage.Store(s.name)
		if s.name == "assignments" {
			l.preclaim(s.ws)
		}
		if err := l.runStage(ctx, s.ws, s.do); err != nil {
			return err
		}
		if s.name == "staff" || s.name == "learners" {
			// callCtx: IDs of users just created are worth recording even after a Ctrl-C.
			if err := l.findNewIDs(l.callCtx, s.ws); err != nil {
				return err
			}
		}
	}
	if l.o.Leavers != nil && ctx.Err() == nil {
		l.stage.Store("leavers")
		return l.archiveLeavers(ctx)
	}
	return nil
}

// toLoad says what a load has to send, naming only the kinds of row it has ("5 learning aims
// to load", "1 staff row, 2 learner rows and 3 assignments to load"): every stage counts,
// and a file of one kind is not told it has none of the others.
func toLoad(staff, learners, aims, assigns int) string {
	var parts []string
	for _, c := range []struct {
		n           int
		one, plural string
	}{
		{staff, "staff row", "staff rows"},
		{learners, "learner row", "learner rows"},
		{aims, "learning aim", "learning aims"},
		{assigns, "assignment", "assignments"},
	} {
		switch c.n {
		case 0:
		case 1:
			parts = append(parts, "1 "+c.one)
		default:
			parts = append(parts, strconv.Itoa(c.n)+" "+c.plural)
		}
	}
	switch len(parts) {
	case 0:
		return "nothing to load"
	case 1:
		return parts[0] + " to load"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + " to load"
}

func (l *loader) logf(format string, args ...any) {
	if l.o.Logf != nil {
		l.o.Logf(format, args...)
	}
}

// runStage runs do for every work on o.Concurrency workers. A row's failure is its result; only
// an error that stops the whole load (auth, ledger) is returned.
func (l *loader) runStage(ctx context.Context, ws []*work, do func(context.Context, *work) error) error {
	var todo []*work
	for _, w := range ws {
		if !w.done {
			todo = append(todo, w)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	ch := make(chan *work)
	g.Go(func() error {
		defer close(ch)
		for _, w := range todo {
			select {
			case ch <- w:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	for range min(l.o.Concurrency, len(todo)) {
		g.Go(func() error {
			for w := range ch {
				if gctx.Err() != nil {
					continue // interrupted or stopping: leave the row unsent
				}
				if err := l.one(w, do); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// one runs do for one row, turning a panic into that row's failure.
func (l *loader) one(w *work, do func(context.Context, *work) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.fail(RuleAPI, fmt.Sprintf("internal error in bulk (please report it): %v", p))
			if l.o.Logf != nil {
				l.o.Logf("panic on %s row %d: %v\n%s", w.it.Src.Where(), w.it.Row, p, debug.Stack())
			}
			err = nil
		}
		if w.done {
			w.stage = l.stage.Load().(string)
			l.out <- w
		}
	}()
	// Calls use callCtx: a Ctrl-C lets a call in flight finish (and be recorded) instead of
	// cutting it off with an unknown outcome.
	return do(l.callCtx, w)
}

// drainContext returns a context that ends d after parent ends.
func drainContext(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		t := time.NewTimer(d)
		select {
		case <-t.C:
			cancel()
		case <-ctx.Done():
			t.Stop()
		}
	})
	return ctx, func() { stop(); cancel() }
}

func (w *work) finish(action, status, msg string) {
	w.done = true
	w.res = Result{Item: w.it, Action: action, Status: status, Message: msg, Changes: w.res.Changes, Before: w.res.Before}
	if w.id != 0 {
		w.res.OneFileID = strconv.Itoa(w.id)
	}
}

// fail ends the row as failed (rule api, not-sent) or rejected (rule reference), for the report.
func (w *work) fail(rule, msg string) {
	status := StatusFailed
	action := w.res.Action
	if rule == RuleReference {
		status, action = StatusRejected, ActReject
	}
	if action == "" {
		action = w.intended()
	}
	w.finish(action, status, msg)
	w.rule, w.problem, w.field = rule, msg, ""
}

// failRef ends the row for a reference that could not be resolved: rejected (rule reference),
// or not sent (rule not-sent) when the row it names was not loaded; the problem marks the
// reference's column when err says which (fieldErr).
func (w *work) failRef(err error) {
	var ns *errNotSent
	if errors.As(err, &ns) {
		w.fail(RuleNotSent, ns.msg)
	} else {
		w.fail(RuleReference, err.Error())
	}
	var fe *fieldErr
	if errors.As(err, &fe) {
		w.field = fe.field
	}
}

// refused ends the row OneFile refused (rule api) with OneFile's message; when the message names
// a field the row has a column for ("PlacementID 999 does not exist"), the problem marks it.
func (w *work) refused(msg string) {
	w.fail(RuleAPI, msg)
	w.field = w.it.fieldIn(msg)
}

// fieldErr is an error about one field of the row (a reference naming nobody), so that its
// problem marks that field's cell.
type fieldErr struct {
	field string
	err   error
}

func (e *fieldErr) Error() string { return e.err.Error() }
func (e *fieldErr) Unwrap() error { return e.err }

// onField says that err (when not nil) is about field.
func onField(field string, err error) error {
	if err == nil {
		return nil
	}
	return &fieldErr{field: field, err: err}
}

// would ends a dry run's row that the load would send as action (skipped: nothing was sent).
func (w *work) would(action, msg string) {
	w.finish(action, StatusSkipped, msg)
	w.res.Would = true
}

// reject ends the row rejected by a plan's check (rule), with its action (conflict, update...).
func (w *work) reject(rule, action, msg string) {
	w.finish(action, StatusRejected, msg)
	w.rule, w.problem, w.field = rule, msg, ""
}

func (w *work) intended() string {
	switch w.plan {
	case planCreate:
		return ActCreate
	case planUpdate:
		return ActUpdate
	}
	if w.it.Kind.Name != onefile.Users.Name {
		return ActAssign
	}
	return ""
}

func (l *loader) findOrg(ctx context.Context) error {
	orgs, err := l.o.Client.Organisations(ctx)
	if err != nil {
		return fmt.Errorf("cannot list the organisations this token may load into: %w", err)
	}
	l.orgs = orgs
	var names []string
	for _, o := range orgs {
		if l.o.Org != 0 && o.ID == l.o.Org {
			l.org = o
			return nil
		}
		names = append(names, fmt.Sprintf("%d (%s)", o.ID, o.Name))
	}
	switch {
	case l.o.Org != 0:
		return fmt.Errorf("organisation %d is not one this token can load into; it sees %s", l.o.Org, strings.Join(names, ", "))
	case len(orgs) == 1:
		l.org = orgs[0]
		return nil
	case len(orgs) == 0:
		return errors.New("this token sees no organisation to load into")
	}
	return fmt.Errorf("this token sees several organisations: %s; choose one with --org ID", strings.Join(names, ", "))
}

// download reads every user of the organisation once, page by page: matching rows to existing
// users locally costs a few calls instead of one search per row.
func (l *loader) download(ctx context.Context) error {
	l.byMISID, l.byEmail, l.byID, l.nUsers = map[string][]*User{}, map[string][]*User{}, map[int]*User{}, 0
	err := l.o.Client.SearchUsers(ctx, UserFilter{OrganisationID: l.org.ID}, func(us []User) error {
		for i := range us {
			l.index(&us[i])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot download the organisation's users: %w", err)
	}
	return nil
}

func (l *loader) index(u *User) {
	l.nUsers++
	if u.ID != 0 {
		l.byID[u.ID] = u
	}
	if m := lower(str(u.Fields["MISID"])); m != "" {
		l.byMISID[m] = append(l.byMISID[m], u)
	}
	if e := lower(str(u.Fields["Email"])); e != "" {
		l.byEmail[e] = append(l.byEmail[e], u)
	}
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// classifyUser reads the row's role and keys. It returns false when the row cannot be loaded.
func (l *loader) classifyUser(w *work) bool {
	u := w.it.User
	if u == nil {
		w.fail(RuleReference, "the row has no user values (a bug in bulk: please report it)")
		return false
	}
	w.role = u.Role
	w.misid, w.email = lower(u.MISID), lower(u.Email)
	switch {
	case u.ID != 0:
		w.key = idKey(u.ID)
		if w.misid != "" {
			l.inMISID[w.misid] = w
		}
	case w.misid != "":
		w.key = "user/misid/" + w.misid
		l.inMISID[w.misid] = w
	default:
		w.key = "user/email/" + w.email
	}
	if w.email != "" {
		l.inEmail[w.email] = w
	}
	return true
}

// match finds the OneFile user a row names: by MISID, then by Email.
func (l *loader) match(misid, email string) (*User, string) {
	if misid != "" {
		switch us := l.byMISID[misid]; len(us) {
		case 0:
		case 1:
			return us[0], ""
		default:
			return nil, fmt.Sprintf("%d users on OneFile have MISID %q (IDs %s); make it unique on OneFile first", len(us), misid, ids(us))
		}
	}
	if email != "" {
		switch us := l.byEmail[email]; len(us) {
		case 0:
		case 1:
			return us[0], ""
		default:
			return nil, fmt.Sprintf("%d users on OneFile have Email %q (IDs %s); give the row a MISID that tells them apart", len(us), email, ids(us))
		}
	}
	return nil, ""
}

func ids(us []*User) string {
	var s []string
	for _, u := range us {
		s = append(s, strconv.Itoa(u.ID))
	}
	return strings.Join(s, ", ")
}

// planUser decides what to do with a user row from what OneFile held at the start.
func (l *loader) planUser(w *work) {
	if w.done {
		return
	}
	if w.it.User.ID != 0 {
		l.planUserByID(w)
		return
	}
	u, why := l.match(w.misid, w.email)
	if why != "" {
		w.fail(RuleReference, why)
		w.field = "Email"
		if len(l.byMISID[w.misid]) > 1 {
			w.field = "MISID"
		}
		l.emit(w)
		return
	}
	l.planMatched(w, u)
}

// planMatched decides a user row's action once the OneFile user it is (u, or nil: none) is known.
func (l *loader) planMatched(w *work, u *User) {
	if pr := l.planned(w); pr != nil && !l.stillPlanned(w, pr, u) {
		l.emit(w)
		return
	}
	if w.it.Unchanged {
		// As it was when last sent: nothing to do while OneFile holds the user (no call);
		// gone from OneFile, it is a new row whatever the state remembers.
		if u != nil {
			w.id = u.ID
			w.finish(ActExists, StatusSkipped, unchangedMessage)
			l.emit(w)
			return
		}
		w.notOnTarget = true
	}
	if u != nil {
		w.existing, w.id = u, u.ID
		l.loginLostEarlier(w)
		if r := int(num(u.Fields["Role"])); r != 0 && r != w.role && l.o.Mode != Create {
			w.fail(RuleReference, fmt.Sprintf("OneFile user %d has role %d, the row says %d; OneFile does not change a user's role", u.ID, r, w.role))
			w.field = "Role"
			l.emit(w)
			return
		}
		if l.o.Mode != Create && w.refuseLost(u, w.it.User.Fields) {
			l.emit(w)
			return
		}
		if moved := identityChange(u, w.it.User.Fields); moved != nil && !l.o.AllowIdentityChange {
			w.reject(RuleIdentity, ActConflict, w.conflictMessage(u, moved, l.o.MonthFirst))
			l.emit(w)
			return
		}
		if l.o.Mode == Create {
			w.finish(ActExists, StatusSkipped, l.existsMessage(w, u))
			l.emit(w)
			return
		}
		if o := l.misidTaken(w, u); o != nil {
			w.fail(RuleReference, fmt.Sprintf("not sent: the row would change OneFile user %d's MISID to %s, which OneFile user %d (%s) already has; MISIDs tell users apart, so each needs its own",
				u.ID, w.it.User.MISID, o.ID, personName(o.Fields)))
			w.field = "MISID"
			l.emit(w)
			return
		}
		if o := l.emailTaken(w, u); o != nil {
			w.reject(RuleEmailTaken, ActUpdate, fmt.Sprintf("not sent: the row would change OneFile user %d's e-mail to %s, which OneFile user %d (%s) already has; every OneFile user needs an e-mail of their own",
				u.ID, w.it.User.Email, o.ID, personName(o.Fields)))
			w.field = "Email"
			l.emit(w)
			return
		}
		w.plan = planUpdate
		return
	}
	if l.o.Mode == Update {
		w.finish(ActUpdate, StatusSkipped, "not on OneFile; --mode update does not create users (use --mode upsert)")
		l.emit(w)
		return
	}
	w.plan = planCreate
}

// loginLostEarlier notes a user an earlier run created whose answer never arrived (the run was
// killed with the create in flight): the ledger holds its create intent and OneFile the user.
// With the keychain off OneFile made a login whose password nobody saw: it is named with the
// lost logins, and the create is recorded done so the next run does not name it again.
func (l *loader) loginLostEarlier(w *work) {
	it, ok := l.led[w.key]
	if !ok || it.Action != ActCreate || it.State != ledger.Intent || l.org.Keychain || l.o.DryRun {
		return
	}
	l.credMu.Lock()
	l.lost = append(l.lost, w.it)
	l.credMu.Unlock()
	w.lostLogin = true
	if err := l.record(w.key, ledger.Done, ActCreate, w.id, ""); err != nil {
		l.logf("cannot record that run %d's create of %s row %d was made: %v", it.RunID, w.it.Src.Where(), w.it.Row, err)
	}
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// record writes the ledger; an error stops the load (the ledger is what makes re-runs safe).
func (l *loader) record(key string, st ledger.State, action string, id int, msg string) error {
	if l.o.Ledger == nil || l.o.DryRun {
		return nil
	}
	sid := ""
	if id != 0 {
		sid = strconv.Itoa(id)
	}
	return l.o.Ledger.Record(l.callCtx, l.scope, l.runID, key, st, action, sid, msg)
}

// intend records the intent before a call that changes OneFile (ledger.Intend). ok is false
// when the call must not be made: err stops the load (the ledger cannot be written), or, with
// err nil, another load recorded this row after this one read the ledger: the row fails
// without a call, and that load's record is left as it is.
func (l *loader) intend(w *work, key, action string, id int) (ok bool, err error) {
	if l.o.Ledger == nil || l.o.DryRun {
		return true, nil
	}
	sid := ""
	if id != 0 {
		sid = strconv.Itoa(id)
	}
	err = l.o.Ledger.Intend(l.callCtx, l.scope, l.runID, key, action, sid, l.led[key])
	var te *ledger.TakenError
	if errors.As(err, &te) {
		w.res.Action = action
		w.fail(RuleConcurrent, fmt.Sprintf("not sent: another load (run %d) recorded this row while this one was running, and sending it too could do it twice; run again once that load has finished", te.By.RunID))
		return false, nil
	}
	return err == nil, err
}

// addCred keeps a new user's login: in Options.Credentials first (on disk, synced), then in
// the Outcome. An error means the login could not be kept: the row is at risk and the load
// must stop creating.
func (l *loader) addCred(w *work, c Created) error {
	if c.Password == "" {
		return nil
	}
	cr := Credential{Item: w.it, ID: c.ID, Username: c.Username, Password: c.Password}
	var err error
	if l.o.Credentials != nil {
		err = l.o.Credentials.Add(cr)
	}
	l.credMu.Lock()
	defer l.credMu.Unlock()
	if err != nil {
		l.atRisk = append(l.atRisk, w.it)
		return err
	}
	l.creds = append(l.creds, cr)
	return nil
}

// LoginsAtRisk stops a load whose new logins could not be written to the credentials file:
// the users exist in OneFile (and the ledger says so: they are never created twice), but
// their passwords were not kept. Nothing more was created after the first failure.
type LoginsAtRisk struct {
	Rows []*Item
	Err  error
}

func (e *LoginsAtRisk) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "new logins could not be saved (%v), so no more users were created; the %d user(s) created at ", e.Err, len(e.Rows))
	var last *pipeline.Source
	for i, it := range e.Rows {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 20 {
			fmt.Fprintf(&b, "and %d more rows (results.csv)", len(e.Rows)-i)
			break
		}
		if it.Src != last {
			fmt.Fprintf(&b, "%s row %d", it.Src.Where(), it.Row)
		} else {
			fmt.Fprintf(&b, "row %d", it.Row)
		}
		last = it.Src
	}
	b.WriteString(" have logins at risk: their passwords were not kept; reset them in OneFile")
	return b.String()
}

func (e *LoginsAtRisk) Unwrap() error { return e.Err }
