package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/ledger"
)

// loadRefs downloads, once, the reference data the rows name: classrooms, placements, standards
// and units, each only if some row names one by name.
func (l *loader) loadRefs(ctx context.Context, ws []*work) error {
	need := map[string]bool{}
	for _, w := range ws {
		if w.done {
			continue
		}
		if u := w.it.User; u != nil {
			need["Classroom"] = need["Classroom"] || (u.Classroom.Name != "" && u.Classroom.ID == 0)
			need["Placement"] = need["Placement"] || (u.Placement.Name != "" && u.Placement.ID == 0)
		}
		if a := w.it.Assign; a != nil {
			need["Standard"] = need["Standard"] || (a.Standard.Name != "" && a.Standard.ID == 0)
			need["Unit"] = need["Unit"] || (a.Unit.Title != "" && a.Unit.ID == "")
		}
		if a := w.it.Aim; a != nil {
			need["Standard"] = need["Standard"] || (a.Standard.Name != "" && a.Standard.ID == 0)
		}
	}
	lists := []struct {
		entity string
		get    func(context.Context, int) ([]Ref, error)
	}{
		{"Classroom", l.o.Client.Classrooms}, {"Placement", l.o.Client.Placements},
		{"Standard", l.o.Client.Standards}, {"Unit", l.o.Client.Units},
	}
	for _, x := range lists {
		if !need[x.entity] {
			continue
		}
		refs, err := x.get(ctx, l.org.ID)
		if err != nil {
			return fmt.Errorf("cannot read the organisation's %ss: %w", strings.ToLower(x.entity), err)
		}
		for _, r := range refs {
			k := x.entity + "/" + lower(r.Name)
			l.refs[k] = append(l.refs[k], r)
		}
	}
	return nil
}

// refID finds a classroom, placement or standard by name (a unit: see unitID).
func (l *loader) refID(entity, name string) (_ int, err error) {
	rs := l.refs[entity+"/"+lower(name)]
	col := entity + "Name"
	if entity == "Standard" {
		col = "StandardTitle"
	}
	defer func() { err = onField(col, err) }()
	switch len(rs) {
	case 0:
		return 0, fmt.Errorf("%s %q: no %s of that name in organisation %d.%s", col, name, strings.ToLower(entity), l.org.ID, l.didYouMean(entity, name))
	case 1:
		n, err := strconv.Atoi(rs[0].ID)
		if err != nil {
			return 0, fmt.Errorf("%s %q: OneFile gave ID %q, not a number", col, name, rs[0].ID)
		}
		return n, nil
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return 0, fmt.Errorf("%s %q names %d %ss (IDs %s); give the ID instead", col, name, len(rs), strings.ToLower(entity), strings.Join(ids, ", "))
}

func (l *loader) unitID(title string, standard int) (_ string, err error) {
	defer func() { err = onField("UnitTitle", err) }()
	var rs []Ref
	for _, r := range l.refs["Unit/"+lower(title)] {
		if standard == 0 || r.StandardID == standard {
			rs = append(rs, r)
		}
	}
	switch len(rs) {
	case 0:
		return "", fmt.Errorf("UnitTitle %q: no unit of that title in organisation %d.%s", title, l.org.ID, l.didYouMean("Unit", title))
	case 1:
		return rs[0].ID, nil
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return "", fmt.Errorf("UnitTitle %q names %d units (IDs %s); give UnitID, or the StandardTitle it belongs to", title, len(rs), strings.Join(ids, ", "))
}

// assignment resolves an assignment row: the learner, the assignee, the level and its IDs.
func (l *loader) assignment(w *work) (assignee int, a Assignment, err error) {
	x := w.it.Assign
	a.Level = x.Level
	learner, named, err := l.resolveUser(w.it, x.Learner, "Learner", "learner")
	if err != nil {
		return 0, a, err
	}
	if !named {
		return 0, a, onField("LearnerMISID", errors.New("the row names no learner: give LearnerID, LearnerMISID or LearnerEmail"))
	}
	a.LearnerID = learner
	assignee, named, err = l.resolveUser(w.it, x.User, "User", "assignee")
	if err != nil {
		return 0, a, err
	}
	if !named {
		return 0, a, onField("UserMISID", errors.New("the row names no user to assign: give UserID, UserMISID or UserEmail"))
	}
	std := int(x.Standard.ID)
	if std == 0 && x.Standard.Name != "" {
		if std, err = l.refID("Standard", x.Standard.Name); err != nil {
			return 0, a, err
		}
	}
	switch a.Level {
	case onefile.LevelLearningAim:
		if std == 0 {
			return 0, a, errors.New("Level 3 (learning aim) needs StandardID or StandardTitle")
		}
		a.StandardID = std
	case onefile.LevelUnitSummary:
		switch {
		case x.Unit.ID != "":
			a.UnitID = x.Unit.ID
		case x.Unit.Title != "":
			if a.UnitID, err = l.unitID(x.Unit.Title, std); err != nil {
				return 0, a, err
			}
		default:
			return 0, a, errors.New("Level 2 (unit summary) needs UnitID or UnitTitle")
		}
	}
	return assignee, a, nil
}

// doAssign makes one assignment. An assignment has no ID on OneFile and repeating one is
// refused, so the ledger is what tells a re-run that it was made.
func (l *loader) doAssign(ctx context.Context, w *work) error {
	w.res.Action = ActAssign
	if w.assign == nil { // preclaim resolves every row of the stage first; this is for callers that did not
		l.preclaim([]*work{w})
	}
	assignee, a, err := w.assign.assignee, w.assign.a, w.assign.err
	if errors.Is(err, errPending) {
		w.would(ActAssign, "dry run: would assign (to a user the load would create)")
		return nil
	}
	if err != nil {
		w.failRef(err)
		return nil
	}
	key := assignKey(assignee, a)
	if first := l.claim(key, w); first != w {
		w.finish(ActExists, StatusSkipped, "repeats the assignment on "+first.where(w.it))
		return nil
	}
	prior, seen := l.led[key]
	if seen && prior.State == ledger.Done {
		w.finish(ActExists, StatusSkipped, fmt.Sprintf("assigned by run %d", prior.RunID))
		return nil
	}
	if l.o.DryRun {
		w.would(ActAssign, fmt.Sprintf("dry run: would assign user %d to learner %d at level %d", assignee, a.LearnerID, a.Level))
		return nil
	}
	unknown := seen && prior.State == ledger.Intent // an earlier run may have made it
	if ok, err := l.intend(w, key, ActAssign, 0); !ok {
		return err
	}
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 && !sleep(ctx, backoff(attempt)) {
			break
		}
		err := l.o.Client.Assign(ctx, assignee, a)
		switch {
		case err == nil:
			w.finish(ActAssign, StatusOK, "")
			return l.record(key, ledger.Done, ActAssign, 0, "")
		case errors.Is(err, ErrAlreadyAssigned):
			if unknown {
				w.finish(ActAssign, StatusOK, "assigned (OneFile confirms it exists after an attempt whose outcome was unknown)")
			} else {
				w.finish(ActExists, StatusSkipped, "already assigned on OneFile")
			}
			return l.record(key, ledger.Done, ActAssign, 0, "")
		case errors.Is(err, ErrAuth):
			return err
		}
		var ref *Refused
		if errors.As(err, &ref) {
			w.refused(ref.Message)
			return l.record(key, ledger.Failed, ActAssign, 0, ref.Message)
		}
		last, unknown = err, true
		if l.callCtx.Err() != nil {
			break
		}
	}
	w.fail(RuleAPI, fmt.Sprintf("not assigned: %v; run again (the ledger records that its outcome is unknown)", last))
	return nil
}

// preclaim resolves each assignment row once and claims its key, in input order, before the
// workers start: when two rows make the same assignment the earlier row sends it and the later
// one is the repeat, whichever worker gets there first.
func (l *loader) preclaim(ws []*work) {
	for _, w := range ws {
		assignee, a, err := l.assignment(w)
		w.assign = &resolvedAssign{assignee: assignee, a: a, err: err}
		if err == nil {
			l.claim(assignKey(assignee, a), w)
		}
	}
}

// claim returns the first work of the run to claim key: two rows making the same assignment
// must not both send it (the second would be refused as a repeat).
func (l *loader) claim(key string, w *work) *work {
	l.claimMu.Lock()
	defer l.claimMu.Unlock()
	if first, ok := l.claimed[key]; ok {
		return first
	}
	l.claimed[key] = w
	return w
}

// assignKey names an assignment in the ledger and among the run's claims.
func assignKey(assignee int, a Assignment) string {
	return fmt.Sprintf("assign/%d/%d/%d/%d/%s", a.LearnerID, assignee, a.Level, a.StandardID, a.UnitID)
}
