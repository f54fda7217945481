package ui

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/pipeline/report"
)

// A PeopleFluent LMS target: the built-in PeopleFluent sandbox (Base "") or an LMS's base URL
// with its system key. The page has no OneFile plan for it: a preview (app.Export, as 'bulk
// export' writes the payload) says what each endpoint would be sent, and the push is
// app.LoadPeopleFluent, as 'bulk load peoplefluent' runs it. The key reaches the use case only
// through Deps.Getenv, as BULK_PF_SYSTEM_KEY: never a file, a log or the page.

// pfKinds are the kinds with a PeopleFluent payload, in the order the page lists them.
var pfKinds = []string{"training-history", "external-training", "courses"}

// pfBox is the PeopleFluent sandbox the session runs, with a key made for it and held here.
type pfBox struct {
	base, key string
	stop      func() error
}

// pfSandbox starts the session's PeopleFluent sandbox once (the default seed's users and
// modules, as 'bulk sandbox peoplefluent'); a second push sees what the first loaded.
func (ws *workspace) pfSandbox() (*pfBox, error) {
	if ws.pfbox != nil {
		return ws.pfbox, nil
	}
	key := randomString()
	srv := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ws.pfbox = &pfBox{base: base, key: key, stop: stop}
	return ws.pfbox, nil
}

// pfTarget checks the page's PeopleFluent choice and reads the key from the environment or the
// file's text the page sent.
func (s *Server) pfTarget(t *target, base, user, keySource, keyFile, keyName string) error {
	t.Base, t.User = strings.TrimSpace(base), strings.TrimSpace(user)
	if t.User != "" {
		if err := peoplefluent.CheckUser(t.User); err != nil {
			return err
		}
	}
	if t.Base == "" {
		return nil // the built-in sandbox: it makes its own key
	}
	// The endpoint's URL is what the push would post to: a bad base is refused now, not after
	// the export.
	if _, err := peoplefluent.TrainingHistoryCSV.URL(t.Base); err != nil {
		return err
	}
	switch keySource {
	case "env":
		t.token, t.TokenFrom = strings.TrimSpace(s.o.Getenv(app.PFKeyEnv)), "the environment ("+app.PFKeyEnv+")"
		if t.token == "" {
			return errors.New(app.PFKeyEnv + " is not set in the environment bulk ui was started from: set it and start bulk ui again, or choose a key file")
		}
	case "file":
		if len(keyFile) > maxTokenFile {
			return errors.New("that file is too large to be a system key")
		}
		t.token, t.TokenFrom = strings.TrimSpace(keyFile), "the file "+cleanName(keyName)
		if t.token == "" {
			return errors.New("the key file is empty")
		}
	default:
		return errors.New("say where the system key is: the environment or a file")
	}
	if t.User == "" {
		t.User = strings.TrimSpace(s.o.Getenv(app.PFUserEnv)) // as the command line reads it
	}
	return nil
}

// pfResolve gives the LMS's base URL, the system user and the Deps that hand the use case the
// key (as BULK_PF_SYSTEM_KEY through Getenv), with the push ledger to use.
func (ws *workspace) pfResolve(notes io.Writer) (base, user, ledger string, d app.Deps, err error) {
	t := ws.target
	key := t.token
	base, user = t.Base, t.User
	if base == "" {
		box, err := ws.pfSandbox()
		if err != nil {
			return "", "", "", d, err
		}
		base, key, ledger = box.base, box.key, filepath.Join(ws.s.dir, "pf-pushes.db")
	}
	get := ws.s.o.Getenv
	d = app.Deps{Stdout: io.Discard, Stderr: notes, Getenv: func(k string) string {
		switch k {
		case app.PFKeyEnv:
			return key
		case app.PFUserEnv:
			return ""
		}
		return get(k)
	}}
	if lp := ws.s.o.LedgerPath; lp != "" {
		d.LedgerPath = func() (string, error) { return lp, nil }
	}
	return base, user, ledger, d, nil
}

// pfKind is the kind the push loads: the one chosen on the page, else the one every table was
// read as.
func (ws *workspace) pfKind() (string, error) {
	kind := ws.settings.Kind
	if kind == "" && ws.val != nil {
		for _, tb := range ws.val.Tables {
			if kind != "" && tb.Kind != kind {
				return "", fmt.Errorf("the files hold %s and %s rows: a push sends one kind; choose it under Files", kind, tb.Kind)
			}
			kind = tb.Kind
		}
	}
	for _, k := range pfKinds {
		if k == kind {
			return kind, nil
		}
	}
	if kind == "" {
		return "", errors.New("choose the kind under Files (training-history, external-training or courses)")
	}
	return "", fmt.Errorf("%s rows have no PeopleFluent endpoint: a PeopleFluent LMS takes %s", kind, strings.Join(pfKinds, ", "))
}

// pfPreview is what an export found: the payload the push would send and the rows it leaves out.
type pfPreview struct {
	Kind     string `json:"kind"`
	Endpoint string `json:"endpoint"`
	Send     int64  `json:"send"` // rows in the payload
	Read     int64  `json:"read"`
	Rejected int64  `json:"rejected"`
	Warnings int64  `json:"warnings"`
	What     string `json:"what"`
	Target   string `json:"target"`
	// Verify is offered only where the LMS has a documented read (training-history).
	CanVerify     bool `json:"can_verify"`
	CanCheckUsers bool `json:"can_check_users"`
}

// handlePFPreview exports the valid rows as 'bulk export KIND' does, into the session's folder:
// per endpoint, what would be sent and what is rejected.
func (s *Server) handlePFPreview(w http.ResponseWriter, r *http.Request) {
	ws, done, ok := s.startOp(w, "")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	if ws.target.Kind != "peoplefluent" {
		ws.mu.Unlock()
		writeError(w, http.StatusBadRequest, "choose a PeopleFluent LMS as the target first")
		return
	}
	if len(ws.files) == 0 {
		ws.mu.Unlock()
		writeError(w, http.StatusBadRequest, "upload a file first")
		return
	}
	kind, err := ws.pfKind()
	if err != nil {
		ws.mu.Unlock()
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ek, err := app.FindExportKind(kind)
	if err != nil {
		ws.mu.Unlock()
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	dir := ws.reportDir("preview")
	in, err := ws.inputOptions(dir)
	if err != nil {
		ws.mu.Unlock()
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	in.Quiet = true
	target := ws.target.Base
	if target == "" {
		target = "the built-in PeopleFluent sandbox"
	}
	ws.busy, ws.pfprev, ws.err = "exporting", nil, ""
	ws.mu.Unlock()
	s.bump()

	o := app.ExportOptions{InputOptions: in, KindName: kind, Out: filepath.Join(dir, "payload-"+kind+ek.Ext)}
	var exp *app.ExportOutcome
	if _, err = report.MakeDir(dir); err == nil { // personal data: 0700
		exp, err = app.Export(r.Context(), app.Deps{Stdout: io.Discard, Stderr: io.Discard, Getenv: s.o.Getenv}, o)
	}

	ws.mu.Lock()
	ws.busy = ""
	if exp != nil {
		c := exp.Counts
		ws.pfprev = &pfPreview{Kind: kind, Endpoint: ek.Endpoint, Send: exp.Rows, Read: c.Read, Rejected: c.Rejected, Warnings: c.Warnings,
			What: exp.What, Target: target, CanVerify: ek.Endpoint == string(peoplefluent.TrainingHistoryCSV), CanCheckUsers: kind != "courses"}
	}
	if err != nil && app.KindOf(err) != app.Rejected {
		ws.err = s.sayError(err)
	}
	ws.mu.Unlock()
	s.bump()
	writeJSON(w, http.StatusOK, ws.state())
}

// handlePFPush runs app.LoadPeopleFluent in the background, as 'bulk load peoplefluent
// [--check-users] [--verify]': every tab follows it; results.csv, which the push writes after
// each chunk, gives the rows answered so far.
func (s *Server) handlePFPush(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CheckUsers bool `json:"check_users"`
		Verify     bool `json:"verify"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	ws, done, ok := s.startOp(w, "a push is under way already; the page follows it")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	prev := ws.pfprev
	if ws.target.Kind != "peoplefluent" || prev == nil {
		writeError(w, http.StatusBadRequest, "preview the push first")
		return
	}
	notes := &lockedBuffer{}
	base, user, ledger, d, err := ws.pfResolve(notes)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	dir := ws.reportDir("push")
	inOpts, err := ws.inputOptions(dir)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	inOpts.Quiet = true
	o := app.LoadPeopleFluentOptions{ExportOptions: app.ExportOptions{InputOptions: inOpts, KindName: prev.Kind},
		Base: base, User: user, ChunkRows: peoplefluent.DefaultChunkRows, Retries: peoplefluent.DefaultRetries,
		PushLedgerOptions: app.PushLedgerOptions{State: ledger}, CheckUsers: in.CheckUsers, Verify: in.Verify}
	ctx, cancel := context.WithCancel(context.Background())
	j := &applyJob{Status: "running", Stage: "exporting", started: time.Now(), cancel: cancel, finished: make(chan struct{}), Total: int(prev.Send), pf: true}
	if in.CheckUsers {
		j.Stage = "reading the LMS's users"
	}
	ws.job = j
	results := filepath.Join(dir, "results.csv")
	go j.watchResults(ctx, results, s.bump)
	go func() {
		defer close(j.finished)
		out, err := app.LoadPeopleFluent(ctx, d, o)
		cancel()
		rows, _ := readResults(results)
		j.mu.Lock()
		j.ended = time.Now()
		switch app.KindOf(err) {
		case app.OK, app.Rejected:
			j.Status = "done"
		case app.Interrupted:
			j.Status, j.Message = "interrupted", pfCancelled
		default:
			j.Status, j.Message = "failed", s.sayError(err)
		}
		if errors.Is(err, context.Canceled) {
			j.Status, j.Message = "interrupted", pfCancelled
		}
		var sent [][]string
		if out != nil && strings.HasSuffix(out.Export.Out, ".csv") {
			sent = readPayload(out.Export.Out)
		}
		j.results = nil
		for _, rr := range rows {
			rr.Kind, rr.Action = prev.Kind, prev.Endpoint
			if i := rr.Row - 2; i >= 0 && i < len(sent) {
				rr.Sent = strings.Join(sent[i][:min(2, len(sent[i]))], " · ")
			}
			j.results = append(j.results, rr)
		}
		j.Counts = map[string]int64{}
		if out != nil {
			c := out.Export.Counts
			j.Counts["read"], j.Counts["valid"], j.Counts["rejected"] = c.Read, c.Valid, c.Rejected
			if out.Push != nil {
				sum := out.Push.Summary
				j.Counts["sent"], j.Counts["ok"], j.Counts["warning"] = int64(sum.Rows), int64(sum.OK), int64(sum.Warnings)
				j.Counts["failed"], j.Counts["unknown"] = int64(sum.Failed), int64(sum.Unknown)
				j.Stats.Calls = int64(sum.Chunks)
				j.Done = sum.Rows
			}
			if v := out.Verify; v != nil {
				j.Counts["confirmed"], j.Counts["missing"], j.Counts["different"] = int64(v.Confirmed), int64(v.Missing), int64(v.Different)
			}
			if out.Push == nil && out.Export.Rows == 0 && j.Message == "" {
				j.Message = "Nothing to push: no row passed the checks."
			}
		}
		j.Stage = ""
		j.mu.Unlock()
		s.bump()
	}()
	s.bump()
	writeJSON(w, http.StatusAccepted, map[string]any{"ok": true})
}

// pfCancelled is what a cancelled push says: a request under way when it stopped may have been
// loaded without its answer coming back.
const pfCancelled = "Cancelled, as Ctrl-C stops 'bulk load peoplefluent': the LMS's answers so far are listed. Rows whose answer had not come are unknown: the LMS may hold them, so check them in the LMS before sending them again."

// pfCounts are the push's counts in the order the page shows them.
var pfCounts = []string{"read", "valid", "rejected", "sent", "ok", "warning", "failed", "unknown", "confirmed", "missing", "different"}

// watchResults follows results.csv while the push runs: the rows the LMS has answered so far.
func (j *applyJob) watchResults(ctx context.Context, path string, bump func()) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	seen := -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rows, err := readResults(path)
		if err != nil || len(rows) == seen {
			continue
		}
		seen = len(rows)
		failed := 0
		for _, rr := range rows {
			if rr.Status == peoplefluent.StatusFailed || rr.Status == peoplefluent.StatusUnknown {
				failed++
			}
		}
		j.mu.Lock()
		if j.Status == "running" {
			j.Stage, j.Done, j.Failed = "pushing", len(rows), failed
		}
		j.mu.Unlock()
		bump()
	}
}

// readResults reads a push's results.csv (file, row, status, message: the LMS's answer for each
// payload row), as far as it has been written.
func readResults(path string) ([]resultRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	var rows []resultRow
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err != nil {
			break // EOF, or a line the push is still writing
		}
		if n == 0 || len(rec) < 4 {
			continue // the header
		}
		row, _ := strconv.Atoi(rec[1])
		rows = append(rows, resultRow{File: filepath.Base(rec[0]), Row: row, Status: rec[2], Message: rec[3]})
	}
	return rows, nil
}

// readPayload reads a CSV payload's data rows, so that each of the LMS's answers (by payload
// row) can say which record it is about. nil if it cannot be read: the answers stand alone.
func readPayload(path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil || len(recs) < 1 {
		return nil
	}
	return recs[1:]
}
