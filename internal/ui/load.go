package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// target is where the session loads: the built-in sandbox or a OneFile environment. The token
// is held here, in memory only: never in the state the page reads, a log or a report.
type target struct {
	Kind      string // sandbox, beta, practice, live, peoplefluent
	Org       int
	Mode      string // create, upsert, update
	Keychain  string // the sandbox's keychain: on (default, as OneFile's 2026 guide) or off
	token     string
	TokenFrom string // where the token came from, in words ("the environment", "token.txt")
	// A PeopleFluent LMS's base URL ("": the built-in PeopleFluent sandbox) and system user
	// name; its system key is token.
	Base, User string
}

func (t target) public() map[string]any {
	if t.Kind == "peoplefluent" {
		return map[string]any{"kind": t.Kind, "mode": t.Mode, "base": t.Base, "user": t.User, "sandbox": t.Base == "",
			"token_from": t.TokenFrom, "url": t.Base}
	}
	org := t.Org
	if org == 0 && t.Kind == "sandbox" {
		org = sandbox.DefaultSeed().Organisations[0].ID
	}
	return map[string]any{"kind": t.Kind, "org": org, "mode": t.Mode, "keychain": t.Keychain,
		"token_from": t.TokenFrom, "live": t.Kind == "live", "url": t.url()}
}

func (t target) url() string {
	if t.Kind == "sandbox" {
		return ""
	}
	return app.OneFileEnvs[t.Kind]
}

// sandboxBox is the OneFile sandbox the session runs (as 'bulk load --sandbox' does, but kept
// for the session, so that a plan made against it can be applied and a second load sees the
// first's users), with its own ledger in the session's folder.
type sandboxBox struct {
	srv                          *sandbox.Server
	url, token, ledger, keychain string
	stop                         func()
}

func (ws *workspace) sandbox() (*sandboxBox, error) {
	kc := ws.target.Keychain
	if kc == "" {
		kc = "on"
	}
	if ws.box != nil && ws.box.keychain == kc {
		return ws.box, nil
	}
	if ws.box != nil {
		ws.box.stop()
		ws.box = nil
	}
	on, err := sandbox.ParseKeychain(kc)
	if err != nil {
		return nil, err
	}
	box := sandbox.New(sandbox.Config{Keychain: on})
	url, shutdown, err := box.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(ws.s.dir, "sandbox-")
	if err != nil {
		return nil, err
	}
	ws.box = &sandboxBox{srv: box, url: url, token: box.CustomerToken(), ledger: filepath.Join(dir, "ledger.db"), keychain: kc, stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	}}
	return ws.box, nil
}

// handleTarget chooses where to load, and reads the token from the environment or from the file
// the page sent.
func (s *Server) handleTarget(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind        string `json:"kind"`
		Org         int    `json:"org"`
		Mode        string `json:"mode"`
		Keychain    string `json:"keychain"`
		TokenSource string `json:"token_source"` // env or file
		TokenFile   string `json:"token_file"`   // the chosen file's text
		TokenName   string `json:"token_name"`
		Base        string `json:"base"` // PeopleFluent: the LMS's base URL, "" for the built-in sandbox
		User        string `json:"user"` // PeopleFluent: the system user name
	}
	if !readJSON(w, r, &in) {
		return
	}
	t := target{Kind: strings.ToLower(in.Kind), Org: in.Org, Mode: in.Mode, Keychain: in.Keychain}
	if t.Mode == "" {
		t.Mode = "upsert"
	}
	if _, err := load.ParseMode(t.Mode); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case t.Kind == "peoplefluent":
		if err := s.pfTarget(&t, in.Base, in.User, in.TokenSource, in.TokenFile, in.TokenName); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	case t.Kind == "sandbox":
		if t.Keychain != "" && t.Keychain != "on" && t.Keychain != "off" {
			writeError(w, http.StatusBadRequest, "the sandbox's keychain is on or off")
			return
		}
	case app.OneFileEnvs[t.Kind] != "":
		if t.Org <= 0 {
			writeError(w, http.StatusBadRequest, "give the organisation's ID (OneFile support gives it with the token)")
			return
		}
		switch in.TokenSource {
		case "env":
			t.token, t.TokenFrom = strings.TrimSpace(s.o.Getenv(app.TokenEnv)), "the environment ("+app.TokenEnv+")"
			if t.token == "" {
				writeError(w, http.StatusBadRequest, app.TokenEnv+" is not set in the environment bulk ui was started from: set it and start bulk ui again, or choose a token file")
				return
			}
		case "file":
			if len(in.TokenFile) > maxTokenFile {
				writeError(w, http.StatusBadRequest, "that file is too large to be a token")
				return
			}
			t.token, t.TokenFrom = strings.TrimSpace(in.TokenFile), "the file "+cleanName(in.TokenName)
			if t.token == "" {
				writeError(w, http.StatusBadRequest, "the token file is empty")
				return
			}
		default:
			writeError(w, http.StatusBadRequest, "say where the token is: the environment or a file")
			return
		}
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown target %q: sandbox, beta, practice, live or peoplefluent", in.Kind))
		return
	}
	ws, done, ok := s.startOp(w, "")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	ws.target, ws.plan, ws.pfprev, ws.err = t, nil, nil, ""
	ws.mu.Unlock()
	s.bump()
	writeJSON(w, http.StatusOK, ws.state())
}

// resolve gives the target's API root, organisation, ledger and the Deps that hand the use case
// the token (through Getenv, as BULK_ONEFILE_TOKEN: it is never written anywhere).
func (ws *workspace) resolve(notes io.Writer) (url string, org int, ledger string, rate int, d app.Deps, err error) {
	t := ws.target
	token := t.token
	org, rate = t.Org, app.OneFileRateLimit
	switch t.Kind {
	case "sandbox":
		box, err := ws.sandbox()
		if err != nil {
			return "", 0, "", 0, d, err
		}
		url, token, ledger, rate = box.url, box.token, box.ledger, app.SandboxRate
		if ws.sandboxRate > 0 {
			rate = ws.sandboxRate
		}
		if org == 0 {
			org = sandbox.DefaultSeed().Organisations[0].ID
		}
	default:
		url, ledger = app.OneFileEnvs[t.Kind], ws.s.o.LedgerPath
	}
	get := ws.s.o.Getenv
	d = app.Deps{Stdout: io.Discard, Stderr: notes, Getenv: func(k string) string {
		if k == app.TokenEnv {
			return token
		}
		return get(k)
	}}
	return url, org, ledger, rate, d, nil
}

// planState is a dry run's plan.json, read back.
type planState struct {
	path    string
	plan    *load.Plan
	notes   []string
	live    bool
	org     int
	orgName string
	writes  int64
	updates int64
}

func (p *planState) summary() map[string]any {
	// Applying writes each row once; an update is read again just before (the re-check); the
	// session's authentication and the organisation's lookup add a few. Measured against the
	// sandbox with the sample workbook: 87 calls for 78 rows written.
	calls := p.writes + p.updates + 4
	secs := float64(calls) * 60 / float64(app.OneFileRateLimit)
	return map[string]any{"counts": p.plan.Counts, "rows": len(p.plan.Rows), "notes": p.notes, "live": p.live,
		"organisation": p.org, "organisation_name": p.orgName, "writes": p.writes, "calls": calls,
		"estimate": fmt.Sprintf("about %s at OneFile's %d calls a minute (about %d calls for %d rows to write)", say(time.Duration(secs*float64(time.Second))), app.OneFileRateLimit, calls, p.writes)}
}

func say(d time.Duration) string {
	switch {
	case d < time.Second:
		return "a second"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// handlePlan makes the plan: app.LoadOnefile with DryRun, as 'bulk load onefile --dry-run' does,
// against what the target holds now.
func (s *Server) handlePlan(w http.ResponseWriter, r *http.Request) {
	ws, done, ok := s.startOp(w, "")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	if len(ws.files) == 0 {
		ws.mu.Unlock()
		writeError(w, http.StatusBadRequest, "upload a file first")
		return
	}
	if ws.target.Kind == "peoplefluent" {
		ws.mu.Unlock()
		writeError(w, http.StatusBadRequest, "a PeopleFluent LMS has no OneFile plan: preview the push instead")
		return
	}
	notes := &lockedBuffer{}
	url, org, ledger, _, d, err := ws.resolve(notes)
	if err != nil {
		ws.mu.Unlock()
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	dir := ws.reportDir("plan")
	in, err := ws.inputOptions(dir)
	if err != nil {
		ws.mu.Unlock()
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	in.Quiet = true
	o := app.LoadOnefileOptions{InputOptions: in, URL: url, Org: org, Mode: ws.target.Mode, Concurrency: 4,
		Rate: app.OneFileRateLimit, DryRun: true, State: ledger}
	if ws.target.Kind == "sandbox" {
		o.Rate = app.SandboxRate
	}
	live := ws.target.Kind == "live"
	ws.busy, ws.plan, ws.err = "planning", nil, ""
	ws.mu.Unlock()
	s.bump()

	out, err := app.LoadOnefile(r.Context(), d, o)

	ws.mu.Lock()
	ws.busy = ""
	var ps *planState
	if out != nil && out.Plan != "" {
		p, rerr := load.ReadPlan(out.Plan)
		if rerr != nil {
			err = rerr
		} else {
			ps = &planState{path: out.Plan, plan: p, notes: notes.lines(), live: live, org: p.Target.Organisation, orgName: p.Target.OrganisationName}
			for _, a := range []string{load.PlanCreate, load.PlanUpdate, load.PlanAssign} {
				ps.writes += p.Counts[a]
			}
			ps.updates = p.Counts[load.PlanUpdate]
		}
	}
	ws.plan = ps
	if err != nil && app.KindOf(err) != app.Rejected {
		ws.err = ws.s.sayError(err)
	} else if ps == nil {
		ws.err = "no plan was made: " + strings.Join(notes.lines(), " ")
	}
	ws.mu.Unlock()
	s.bump()
	writeJSON(w, http.StatusOK, ws.state())
}

// planRow is a plan's row as the page shows it.
type planRow struct {
	File      string   `json:"file"`
	Sheet     string   `json:"sheet,omitempty"`
	Row       int      `json:"row"`
	Kind      string   `json:"kind"`
	Action    string   `json:"action"`
	Who       string   `json:"who,omitempty"`
	OneFileID string   `json:"onefile_id,omitempty"`
	Message   string   `json:"message,omitempty"`
	Changes   []string `json:"changes,omitempty"`
}

func (s *Server) handlePlanRows(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	action := q.Get("action")
	ws := s.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.plan == nil {
		writeError(w, http.StatusNotFound, "no plan yet")
		return
	}
	var rows []planRow
	for i := range ws.plan.plan.Rows {
		pr := &ws.plan.plan.Rows[i]
		if action != "" && pr.Action != action {
			continue
		}
		row := planRow{File: pr.File, Sheet: pr.Sheet, Row: pr.Row, Kind: pr.Kind, Action: pr.Action, OneFileID: pr.OneFileID, Message: pr.Message}
		if pr.User != nil {
			row.Who = strings.TrimSpace(fmt.Sprint(pr.User.Fields["FirstName"], " ", pr.User.Fields["LastName"]))
		}
		for _, c := range pr.Changes {
			row.Changes = append(row.Changes, c.String())
		}
		rows = append(rows, row)
	}
	total := len(rows)
	offset = min(max(offset, 0), total)
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "offset": offset, "rows": rows[offset:min(offset+limit, total)]})
}

// applyJob is a plan being applied (app.ApplyPlan) in the background: every tab follows its
// progress; cancelling it stops it as Ctrl-C does (what was sent is recorded, and applying the
// plan again finishes it).
type applyJob struct {
	mu       sync.Mutex
	Status   string // running, done, interrupted, failed
	Stage    string
	Done     int
	Total    int
	Failed   int
	Stats    api.Stats
	started  time.Time
	ended    time.Time
	Message  string
	Counts   map[string]int64
	results  []resultRow
	creds    string // credentials.csv, until downloaded
	Taken    bool   // the logins were downloaded (and forgotten)
	cancel   context.CancelFunc
	finished chan struct{}
	pf       bool // a PeopleFluent push: Counts are pfCounts
}

type resultRow struct {
	File      string `json:"file"`
	Sheet     string `json:"sheet,omitempty"`
	Row       int    `json:"row"`
	Kind      string `json:"kind"`
	Action    string `json:"action"`
	Status    string `json:"status"`
	OneFileID string `json:"onefile_id,omitempty"`
	Message   string `json:"message,omitempty"`
	// Sent is, for a PeopleFluent push, the payload row's first cells (user and learning ID):
	// the LMS answers by payload row.
	Sent string `json:"sent,omitempty"`
}

func (j *applyJob) public() map[string]any {
	j.mu.Lock()
	defer j.mu.Unlock()
	el := time.Since(j.started)
	if !j.ended.IsZero() {
		el = j.ended.Sub(j.started)
	}
	m := map[string]any{"status": j.Status, "stage": j.Stage, "done": j.Done, "total": j.Total, "failed": j.Failed,
		"calls": j.Stats.Calls, "retries": j.Stats.Retries, "answers_429": j.Stats.TooMany, "message": j.Message,
		"counts": pick(j.Counts, statuses), "actions": pick(j.Counts, actions), "credentials": j.creds != "", "credentials_taken": j.Taken, "results": len(j.results)}
	if j.pf {
		m["counts"], m["actions"], m["push"] = map[string]int64{}, map[string]int64{}, pickAll(j.Counts, pfCounts)
	}
	if el > 100*time.Millisecond {
		m["calls_per_minute"] = int(float64(j.Stats.Calls) / el.Minutes())
	}
	if j.Status == "running" && j.Done > 0 && j.Total > j.Done {
		m["time_left"] = say(time.Duration(float64(el) / float64(j.Done) * float64(j.Total-j.Done)))
	}
	return m
}

// The loader counts rows by status and by action in one map; the page shows them apart.
var (
	statuses = []string{load.StatusOK, load.StatusRejected, load.StatusFailed, load.StatusStale, load.StatusSkipped}
	actions  = []string{load.ActCreate, load.ActUpdate, load.ActAssign, load.ActExists, load.ActConflict}
)

// pickAll is pick with the zeros kept, in order, as [name, count] pairs: a push's counts add
// up only when each is shown.
func pickAll(counts map[string]int64, keys []string) [][2]any {
	out := [][2]any{}
	for _, k := range keys {
		if n, ok := counts[k]; ok {
			out = append(out, [2]any{k, n})
		}
	}
	return out
}

func pick(counts map[string]int64, keys []string) map[string]int64 {
	out := map[string]int64{}
	for _, k := range keys {
		if n := counts[k]; n > 0 {
			out[k] = n
		}
	}
	return out
}

func (ws *workspace) applying() bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.job == nil {
		return false
	}
	ws.job.mu.Lock()
	defer ws.job.mu.Unlock()
	return ws.job.Status == "running"
}

func (ws *workspace) cancelApply() {
	ws.mu.Lock()
	j := ws.job
	ws.mu.Unlock()
	if j != nil && j.cancel != nil {
		j.cancel()
	}
}

func (ws *workspace) waitApply(ctx context.Context) {
	ws.mu.Lock()
	j := ws.job
	ws.mu.Unlock()
	if j == nil {
		return
	}
	select {
	case <-j.finished:
	case <-ctx.Done():
	}
}

// handleApply carries out the plan with app.ApplyPlan, as 'bulk apply plan.json' does: each row
// re-checked against OneFile before it is written. Live needs its name typed.
func (s *Server) handleApply(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	ws, done, ok := s.startOp(w, "this plan is being applied already; the page follows it")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.plan == nil || ws.target.Kind == "peoplefluent" {
		writeError(w, http.StatusBadRequest, "make the plan first")
		return
	}
	if ws.plan.live && strings.TrimSpace(in.Confirm) != strconv.Itoa(ws.plan.org) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("this loads into OneFile LIVE: type the organisation's ID (%d) to confirm", ws.plan.org))
		return
	}
	notes := &lockedBuffer{}
	_, _, ledger, rate, d, err := ws.resolve(notes)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &applyJob{Status: "running", started: time.Now(), cancel: cancel, finished: make(chan struct{}), Total: int(ws.plan.writes)}
	d.LoadProgress = func(p load.Progress, st api.Stats) {
		j.mu.Lock()
		j.Stage, j.Done, j.Total, j.Failed, j.Stats = p.Stage, p.Done, p.Total, p.Failed, st
		j.mu.Unlock()
		s.bump()
	}
	o := app.ApplyOptions{Plan: ws.plan.path, State: ledger, ReportDir: ws.reportDir("apply"), Concurrency: 4, Rate: rate,
		Yes: true, Quiet: false, Drain: 5 * time.Second}
	ws.job = j
	go func() {
		defer close(j.finished)
		out, err := app.ApplyPlan(ctx, d, o)
		j.mu.Lock()
		j.ended = time.Now()
		switch app.KindOf(err) {
		case app.OK, app.Rejected:
			j.Status = "done"
		case app.Interrupted:
			j.Status, j.Message = "interrupted", "Cancelled: what was sent is recorded. Apply the plan again to finish the rest; nobody is created twice."
		default:
			j.Status, j.Message = "failed", s.sayError(err)
		}
		if out != nil && out.Load != nil {
			j.Counts = out.Load.Counts
			for _, res := range out.Load.Results {
				it := res.Item
				j.results = append(j.results, resultRow{File: it.Src.File, Sheet: it.Src.Sheet, Row: it.Row, Kind: it.Kind.Name,
					Action: res.Action, Status: res.Status, OneFileID: res.OneFileID, Message: res.Message})
			}
			if out.Credentials != "" {
				j.creds = out.Credentials
			}
		}
		j.mu.Unlock()
		cancel()
		s.bump()
	}()
	s.bump()
	writeJSON(w, http.StatusAccepted, map[string]any{"ok": true})
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	s.ws.cancelApply()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) handleResults(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	status := q.Get("status")
	ws := s.ws
	ws.mu.Lock()
	j := ws.job
	ws.mu.Unlock()
	if j == nil {
		writeError(w, http.StatusNotFound, "nothing applied yet")
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var rows []resultRow
	for _, rr := range j.results {
		if status == "" || rr.Status == status {
			rows = append(rows, rr)
		}
	}
	total := len(rows)
	offset = min(max(offset, 0), total)
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "offset": offset, "rows": rows[offset:min(offset+limit, total)]})
}

// serveCredentials hands over the logins OneFile returned, once: the file is removed as it is
// sent, and the page says they were taken. Called with ws.mu held.
func (ws *workspace) serveCredentials(w http.ResponseWriter, r *http.Request) {
	j := ws.job
	if j == nil {
		writeError(w, http.StatusNotFound, "nothing applied yet")
		return
	}
	j.mu.Lock()
	path := j.creds
	j.creds = ""
	if path != "" {
		j.Taken = true
	}
	j.mu.Unlock()
	if path == "" {
		writeError(w, http.StatusGone, "the logins have been downloaded already (once only), or OneFile returned none (its keychain sends each new user an e-mail instead)")
		return
	}
	serveFile(w, r, path, "credentials.csv")
	os.Remove(path)
	ws.s.bump()
}
