package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/aims"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// A plan is what a dry run decided for every row, against what OneFile held then: saved as
// plan.json beside results.csv, reviewed, then carried out by 'bulk apply'. It holds the rows'
// values (personal data: the file is the owner's only) and the target, never a token.

// PlanVersion is plan.json's format; a plan of another version is refused.
const PlanVersion = 1

// Planned actions, in the plan's words.
const (
	PlanCreate    = "create"
	PlanUpdate    = "update"
	PlanUnchanged = "unchanged"
	// PlanNotData: a totals line or other row that is not data: listed so the counts add up,
	// passed over when applied.
	PlanNotData  = "not-data"
	PlanAssign   = "assign"
	PlanConflict = "conflict"
	PlanReject   = "reject"
)

// Plan is plan.json.
type Plan struct {
	Version             int              `json:"version"`
	Created             time.Time        `json:"created"`
	Target              PlanTarget       `json:"target"`
	Mode                Mode             `json:"mode"`
	AllowIdentityChange bool             `json:"allow_identity_change,omitempty"`
	Inputs              []string         `json:"inputs"`
	Counts              map[string]int64 `json:"counts"`
	Rows                []PlanRow        `json:"rows"`
	// Leavers are the OneFile users the run would archive (a nightly full export's
	// on_missing: archive): by name, so a reviewer sees who would go.
	Leavers []Leaver `json:"leavers,omitempty"`
}

// PlanTarget is where a plan goes: the API root (canonical) and the organisation.
type PlanTarget struct {
	APIRoot          string `json:"api_root"`
	Organisation     int    `json:"organisation"`
	OrganisationName string `json:"organisation_name,omitempty"`
	// InProcess: the plan was made against the sandbox a '--sandbox' run started inside itself,
	// which ended with that run. Such a plan can be reviewed, not applied.
	InProcess bool `json:"in_process_sandbox,omitempty"`
}

// PlanRow is one input row's planned action.
type PlanRow struct {
	Seq       int                 `json:"seq"`
	File      string              `json:"file"`
	Sheet     string              `json:"sheet,omitempty"`
	Row       int                 `json:"row"`
	Kind      string              `json:"kind"`
	Action    string              `json:"action"`
	OneFileID string              `json:"onefile_id,omitempty"`
	Message   string              `json:"message,omitempty"`
	Changes   []Change            `json:"changes,omitempty"`
	Before    map[string]any      `json:"before,omitempty"`
	User      *onefile.User       `json:"user,omitempty"`
	Assign    *onefile.Assignment `json:"assign,omitempty"`
	Aim       *aims.Aim           `json:"aim,omitempty"`
}

// NewPlan makes the plan of a dry run's outcome.
func NewPlan(out *Outcome, o Options, now time.Time) *Plan {
	p := &Plan{Version: PlanVersion, Created: now.UTC(), Mode: o.Mode, AllowIdentityChange: o.AllowIdentityChange,
		Inputs: o.Inputs, Counts: map[string]int64{},
		Target: PlanTarget{APIRoot: o.APIRoot, Organisation: out.Org.ID, OrganisationName: out.Org.Name}}
	for i, r := range out.Results {
		it := r.Item
		pr := PlanRow{Seq: i, File: it.Src.File, Sheet: it.Src.Sheet, Row: it.Row, Kind: it.Kind.Name,
			Action: PlannedAction(r), OneFileID: r.OneFileID, Message: r.Message, Changes: r.Changes, Before: r.Before}
		if pr.Action != PlanReject && pr.Action != PlanConflict && pr.Action != PlanNotData {
			pr.User, pr.Assign, pr.Aim = it.User, it.Assign, it.Aim
		}
		p.Counts[pr.Action]++
		p.Rows = append(p.Rows, pr)
	}
	p.Leavers = out.Leavers
	if len(p.Leavers) > 0 {
		p.Counts[ActArchive] = int64(len(p.Leavers))
	}
	return p
}

// LeaverIDs are the OneFile IDs of the plan's leavers that were to be archived, so applying
// it archives exactly those it showed (and only if OneFile still lists them).
func (p *Plan) LeaverIDs() map[int]bool {
	if len(p.Leavers) == 0 {
		return nil
	}
	ids := map[int]bool{}
	for _, g := range p.Leavers {
		if g.Status != StatusFailed {
			ids[g.ID] = true
		}
	}
	return ids
}

// PlannedAction names what a dry run's result means the row will get: create, update,
// unchanged, assign, conflict or reject.
func PlannedAction(r Result) string {
	switch {
	case r.Action == ActConflict:
		return PlanConflict
	case r.Action == ActNotData:
		return PlanNotData
	case r.Status == StatusRejected || r.Status == StatusFailed || r.Status == StatusStale:
		return PlanReject
	case r.Would && r.Action == ActCreate:
		return PlanCreate
	case r.Would && r.Action == ActUpdate:
		return PlanUpdate
	case r.Would && r.Action == ActAssign:
		return PlanAssign
	}
	return PlanUnchanged
}

// WritePlan writes the plan to path, readable by its owner only: it holds personal data.
func WritePlan(path string, p *Plan) error {
	if _, err := report.MakeDir(filepath.Dir(path)); err != nil {
		return err
	}
	return report.WriteFile(path, report.FileMode, func(f *os.File) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	})
}

// ReadPlan reads a plan that WritePlan wrote.
func ReadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not a plan bulk wrote (%v); make it again with 'bulk load onefile --dry-run'", path, err)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("%s is a plan of version %d; this bulk reads version %d: make the plan again", path, p.Version, PlanVersion)
	}
	if p.Target.APIRoot == "" || p.Target.Organisation == 0 {
		return nil, fmt.Errorf("%s names no target (API root and organisation); make the plan again", path)
	}
	for i := range p.Rows {
		if u := p.Rows[i].User; u != nil {
			for k, v := range u.Fields {
				u.Fields[k] = typed(k, v)
			}
		}
		for j, c := range p.Rows[i].Changes {
			p.Rows[i].Changes[j].To = typed(c.Field, c.To)
		}
	}
	return &p, nil
}

// typed gives a value read back from JSON the Go type the kind's conversion gives it: whole
// numbers of integer fields as int64 (JSON made them float64).
func typed(field string, v any) any {
	f, ok := userField(field)
	if n, isNum := v.(float64); isNum && (!ok || f.Type == schema.Int) {
		return int64(n)
	}
	return v
}

// Items turns a plan back into the loader's rows, in the plan's order, with its decisions in
// Options.Planned.
func (p *Plan) Items() ([]*Item, map[int]*PlanRow, error) {
	srcs := map[[2]string]*pipeline.Source{}
	items := make([]*Item, len(p.Rows))
	planned := make(map[int]*PlanRow, len(p.Rows))
	for i := range p.Rows {
		pr := &p.Rows[i]
		k := [2]string{pr.File, pr.Sheet}
		src := srcs[k]
		if src == nil {
			src = &pipeline.Source{Index: len(srcs), Path: pr.File, File: pr.File, Sheet: pr.Sheet}
			srcs[k] = src
		}
		it := &Item{Seq: i, Src: src, Row: pr.Row}
		switch pr.Kind {
		case onefile.Users.Name:
			it.Kind = onefile.Users
		case onefile.Assignments.Name:
			it.Kind = onefile.Assignments
		case aims.Kind.Name:
			it.Kind = aims.Kind
		default:
			return nil, nil, fmt.Errorf("row %d of %s is of kind %q, which a OneFile plan does not hold", pr.Row, pr.File, pr.Kind)
		}
		switch pr.Action {
		case PlanReject, PlanConflict:
			it.Rejected, it.Why = true, pr.Message
		case PlanNotData:
			it.NotData, it.Why = true, strings.TrimPrefix(pr.Message, "not loaded: ")
		case PlanCreate, PlanUpdate, PlanUnchanged:
			if pr.Action == PlanUnchanged && it.Kind == aims.Kind && pr.Aim != nil {
				it.Aim = pr.Aim // re-checked against the ledger and OneFile when applied
				break
			}
			if pr.User == nil {
				return nil, nil, fmt.Errorf("row %d of %s: the plan holds no values for it; make the plan again", pr.Row, pr.File)
			}
			it.User = pr.User
		case PlanAssign:
			if it.Kind == aims.Kind && pr.Aim != nil {
				it.Aim = pr.Aim
				break
			}
			if pr.Assign == nil {
				return nil, nil, fmt.Errorf("row %d of %s: the plan holds no assignment for it; make the plan again", pr.Row, pr.File)
			}
			it.Assign = pr.Assign
		default:
			return nil, nil, fmt.Errorf("row %d of %s: unknown planned action %q", pr.Row, pr.File, pr.Action)
		}
		if pr.Action == PlanUnchanged && it.Kind == onefile.Assignments {
			it.Assign = pr.Assign
		}
		items[i] = it
		planned[i] = pr
	}
	return items, planned, nil
}

// ErrPlanTarget: a plan applied to another target than it was made for.
var ErrPlanTarget = errors.New("the plan was made for another target")

// planned is the plan's row for w when a plan is being applied.
func (l *loader) planned(w *work) *PlanRow {
	if l.o.Planned == nil {
		return nil
	}
	return l.o.Planned[w.it.Seq]
}

// stillPlanned checks a user row of a plan being applied against what OneFile holds now (u: the
// user the row matches, or nil). It returns false when it has ended the row: nothing to do, or
// stale.
func (l *loader) stillPlanned(w *work, pr *PlanRow, u *User) bool {
	switch pr.Action {
	case PlanUnchanged:
		if u != nil {
			w.id = u.ID
		}
		w.finish(ActExists, StatusSkipped, "unchanged when the plan was made; not sent")
		return false
	case PlanCreate:
		if u == nil {
			return true
		}
		w.id = u.ID
		if it, ok := l.led[w.key]; ok && it.Action == ActCreate && it.State == ledger.Done {
			w.finish(ActCreate, StatusSkipped, fmt.Sprintf("already done: created by run %d", it.RunID))
			return false
		}
		w.reject(RuleStale, ActCreate, fmt.Sprintf("stale: OneFile user %d (%s) now has this row's %s, and did not when the plan was made; nothing was sent. Make the plan again",
			u.ID, personName(u.Fields), w.matchedBy(u)))
		w.res.Status = StatusStale
		return false
	case PlanUpdate:
		if u == nil || strconv.Itoa(u.ID) != pr.OneFileID {
			now := "no OneFile user"
			if u != nil {
				now = "OneFile user " + strconv.Itoa(u.ID)
			}
			w.reject(RuleStale, ActUpdate, fmt.Sprintf("stale: the plan updates OneFile user %s, but the row now matches %s; nothing was sent. Make the plan again", pr.OneFileID, now))
			w.res.Status = StatusStale
			return false
		}
	}
	return true
}

// moved lists the fields whose value on OneFile (u, now) differs from what the plan saw,
// other than by the plan's own change having been made already.
func (pr *PlanRow) moved(u *User, mdy bool) []string {
	wanted := map[string]any{}
	for _, c := range pr.Changes {
		wanted[c.Field] = c.To
	}
	var out []string
	for _, f := range slices.Sorted(maps.Keys(pr.Before)) {
		if !u.known(f) {
			continue
		}
		was, now := pr.Before[f], u.Fields[f]
		if equalValues(f, was, now) {
			continue
		}
		if to, ok := wanted[f]; ok && equalValues(f, to, now) {
			continue // this plan's change, made by an earlier apply
		}
		out = append(out, fmt.Sprintf("%s was %s when planned, now %s", f, shown(f, was, mdy), shown(f, now, mdy)))
	}
	return out
}

// before is OneFile's value of each field of want whose value is known: what a plan saw.
func before(u *User, want map[string]any) map[string]any {
	m := map[string]any{}
	for k := range want {
		if _, ok := userField(k); ok && u.known(k) {
			m[k] = u.Fields[k]
		}
	}
	return m
}

// equalValues compares two values of a field as OneFile means them, whatever their Go types
// (JSON numbers, ints, dates with or without a time).
func equalValues(field string, a, b any) bool {
	if blank(a) && blank(b) {
		return true
	}
	if blank(a) != blank(b) {
		return false
	}
	f, _ := userField(field)
	switch f.Type {
	case schema.Int:
		return num(a) == num(b)
	case schema.Date:
		sa, sb := str(a), str(b)
		return len(sa) >= 10 && len(sb) >= 10 && sa[:10] == sb[:10]
	}
	if field == "Email" {
		return strings.EqualFold(strings.TrimSpace(str(a)), strings.TrimSpace(str(b)))
	}
	return strings.TrimSpace(str(a)) == strings.TrimSpace(str(b))
}

// existsMessage is what create mode says of a row whose user is already on OneFile: which of
// its fields differ, so the officer knows whether --mode upsert would change anything.
func (l *loader) existsMessage(w *work, u *User) string {
	msg := "already on OneFile"
	if it, ok := l.led[w.key]; ok && it.Action == ActCreate && it.State != ledger.Failed {
		msg = fmt.Sprintf("created by run %d", it.RunID)
	}
	if w.lostLogin {
		msg += ", which was stopped before OneFile's answer came: the login OneFile made was lost; reset the password in OneFile if it is needed"
	}
	changes, unknown := diff(u, w.it.User.Fields)
	switch {
	case len(changes) > 0:
		msg += fmt.Sprintf("; --mode create leaves it alone, but %s differ (%s): load with --mode upsert to update them",
			fieldNames(changes), strings.Join(describe(changes, l.o.MonthFirst), "; "))
	case len(unknown) > 0:
		msg += "; --mode create leaves it alone (OneFile's search did not return " + strings.Join(unknown, ", ") + ", so they were not compared; --mode upsert would compare and update them)"
	default:
		msg += "; nothing differs"
	}
	return msg
}
