package ui

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/nightly"
)

// The runs page: the loads the run ledger recorded ('bulk runs') and the nightly jobs' runs
// ('bulk runs --nightly'); a held nightly run shows what approving it would do and is approved
// with nightly.Approve, as 'bulk approve' does, once its ID is typed.

type loadRun struct {
	ID       int64            `json:"id"`
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished"`
	Target   string           `json:"target"`
	Org      int              `json:"org"`
	Mode     string           `json:"mode"`
	DryRun   bool             `json:"dry_run"`
	Status   string           `json:"status"`
	Counts   map[string]int64 `json:"counts"`
}

type nightlyRun struct {
	ID       string         `json:"id"`
	Job      string         `json:"job"`
	File     string         `json:"file"`
	Status   string         `json:"status"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Summary  map[string]any `json:"summary"`
}

func (s *Server) ledgerPath() (string, error) {
	if s.o.LedgerPath != "" {
		return s.o.LedgerPath, nil
	}
	return ledger.DefaultPath(s.o.Getenv)
}

func (s *Server) nightlyState() string {
	if s.o.NightlyState != "" {
		return s.o.NightlyState
	}
	return nightly.DefaultStatePath()
}

// exists reports whether a database is there: listing runs must not create one where none was.
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"loads": []loadRun{}, "nightly": []nightlyRun{}}
	var problems []string
	if path, err := s.ledgerPath(); err != nil {
		problems = append(problems, err.Error())
	} else if exists(path) {
		out["ledger"] = path
		if led, err := ledger.Open(path); err != nil {
			problems = append(problems, err.Error())
		} else {
			runs, err := led.Runs(r.Context(), 100)
			led.Close()
			if err != nil {
				problems = append(problems, err.Error())
			}
			var loads []loadRun
			for _, lr := range runs {
				loads = append(loads, loadRun{ID: lr.ID, Started: lr.Started, Finished: lr.Finished, Target: lr.APIRoot, Org: lr.Org,
					Mode: lr.Mode, DryRun: lr.DryRun, Status: lr.Status, Counts: lr.Counts})
			}
			if loads != nil {
				out["loads"] = loads
			}
		}
	}
	if path := s.nightlyState(); exists(path) {
		out["nightly_state"] = path
		if st, err := nightly.OpenState(path); err != nil {
			problems = append(problems, err.Error())
		} else {
			runs, err := st.Runs(100)
			st.Close()
			if err != nil {
				problems = append(problems, err.Error())
			}
			var nr []nightlyRun
			for _, n := range runs {
				nr = append(nr, nightlyRun{ID: n.ID, Job: n.Job, File: n.File, Status: n.Status, Started: n.Started, Finished: n.Finished, Summary: n.Summary})
			}
			if nr != nil {
				out["nightly"] = nr
			}
		}
	}
	out["problems"] = problems
	writeJSON(w, http.StatusOK, out)
}

// handleHeld shows what approving a held nightly run would do.
func (s *Server) handleHeld(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := nightly.HeldView(&b, s.nightlyState(), r.PathValue("id")); err != nil {
		writeError(w, http.StatusNotFound, s.sayError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"held": b.String()})
}

// handleApprove approves a held nightly run once its ID is typed, with nightly.Approve (as
// 'bulk approve --yes' does: a OneFile run's saved plan applied, each row re-checked).
func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	id := r.PathValue("id")
	if in.Confirm != id {
		writeError(w, http.StatusBadRequest, "type the run's ID exactly to approve it")
		return
	}
	s.op.Lock()
	defer s.op.Unlock()
	var out bytes.Buffer
	logs := slog.New(slog.NewTextHandler(&out, nil))
	d := app.Deps{Stdout: &out, Stderr: &out, Getenv: s.o.Getenv}
	err := nightly.Approve(r.Context(), d, logs, nightly.ApproveOptions{RunID: id, State: s.nightlyState(), Yes: true})
	res := map[string]any{"output": out.String(), "ok": err == nil || app.KindOf(err) == app.Rejected}
	if err != nil {
		res["error"] = s.sayError(err)
	}
	writeJSON(w, http.StatusOK, res)
}
