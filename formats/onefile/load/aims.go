package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
)

// The learning aims stage (onefile-standards rows): each learner put on a standard (a new
// learning aim, whose ID OneFile answers) and, when the row says, on a framework template. It
// runs after the users (a learner of this load must exist first) and before the assignments
// (a Level 3 assignment is about the learner's standard).
//
// Never twice: each call is a ledger key of its own (aim/LEARNER/STANDARD and
// template/LEARNER/TEMPLATE), recorded as an intent before the call and done after it, with the
// learning aim's ID. A row whose key is done is not sent again; one whose intent has no outcome
// (a run killed mid-call) is sent again, and OneFile's "already assigned" then means it was made.
// A repeat answered "already there" by OneFile is unchanged (exists), never an error.

// AimClient is what the stage needs beyond Client. The API adapter has it; a Client without it
// fails these rows with a message instead of the whole load.
type AimClient interface {
	// AssignStandard puts a learner on a standard and returns the new learning aim's ID (0 when
	// the answer carried none). A repeat matches ErrAlreadyAssigned.
	AssignStandard(ctx context.Context, standard, learner int) (int, error)
	// AssignFrameworkTemplate puts a learner on a framework template. A repeat matches
	// ErrAlreadyAssigned.
	AssignFrameworkTemplate(ctx context.Context, template, learner int) error
}

func (a apiClient) AssignStandard(ctx context.Context, standard, learner int) (int, error) {
	id, err := a.c.AssignStandard(ctx, standard, learner)
	if api.AssignedByUs(err) {
		return 0, nil // the client's retry found its earlier attempt had made it
	}
	return id, mapErr(err, true)
}

func (a apiClient) AssignFrameworkTemplate(ctx context.Context, template, learner int) error {
	err := a.c.AssignFrameworkTemplate(ctx, template, learner, false)
	if api.AssignedByUs(err) {
		return nil
	}
	return mapErr(err, true)
}

// aimKey and templateKey name the two calls of a row in the ledger and among the run's claims.
func aimKey(learner, standard int) string { return fmt.Sprintf("aim/%d/%d", learner, standard) }
func templateKey(learner, template int) string {
	return fmt.Sprintf("template/%d/%d", learner, template)
}

// resolveAim finds the row's learner and standard.
func (l *loader) resolveAim(w *work) (learner, standard int, err error) {
	x := w.it.Aim
	learner, named, err := l.resolveUser(w.it, x.Learner, "Learner", "learner")
	if err != nil {
		return 0, 0, err
	}
	if !named {
		return 0, 0, onField("LearnerMISID", errors.New("the row names no learner: give LearnerID, LearnerMISID or LearnerEmail"))
	}
	standard = int(x.Standard.ID)
	if standard == 0 {
		if standard, err = l.refID("Standard", x.Standard.Name); err != nil {
			return 0, 0, err
		}
	}
	return learner, standard, nil
}

// doAim makes one row's learning aim and, if asked, its framework template.
func (l *loader) doAim(ctx context.Context, w *work) error {
	w.res.Action = ActAssign
	ac, ok := l.o.Client.(AimClient)
	if !ok {
		w.fail(RuleAPI, "not sent: this OneFile client cannot put learners on standards")
		return nil
	}
	learner, standard, err := l.resolveAim(w)
	if errors.Is(err, errPending) {
		w.would(ActAssign, "dry run: would put the learner (a user the load would create) on the standard")
		return nil
	}
	if err != nil {
		w.failRef(err)
		return nil
	}
	tpl := int(w.it.Aim.FrameworkTemplateID)
	key := aimKey(learner, standard)
	if first := l.claim(key, w); first != w {
		w.finish(ActExists, StatusSkipped, "repeats the learning aim on "+first.where(w.it))
		return nil
	}
	// The aim first: a template without its standard is not what the row asks for.
	made, aimID, err := l.sendOnce(ctx, w, key, func(ctx context.Context) (int, error) {
		return ac.AssignStandard(ctx, standard, learner)
	})
	if err != nil || w.done {
		return err
	}
	msg := fmt.Sprintf("learner %d on standard %d", learner, standard)
	if aimID != 0 {
		w.id = aimID
		msg = fmt.Sprintf("learning aim %d: %s", aimID, msg)
	}
	if tpl != 0 {
		tmade, _, err := l.sendOnce(ctx, w, templateKey(learner, tpl), func(ctx context.Context) (int, error) {
			return 0, ac.AssignFrameworkTemplate(ctx, tpl, learner)
		})
		if err != nil || w.done {
			return err
		}
		made = made || tmade
		msg += fmt.Sprintf(", framework template %d", tpl)
	}
	switch {
	case made && l.o.DryRun:
		w.would(ActAssign, "dry run: would put "+msg)
	case made:
		w.finish(ActAssign, StatusOK, msg)
	default:
		why := "already on OneFile"
		if p, ok := l.led[key]; ok && p.State == ledger.Done {
			why = fmt.Sprintf("made by run %d", p.RunID)
		}
		w.finish(ActExists, StatusSkipped, why+": "+msg)
	}
	return nil
}

// sendOnce makes one call of a row under the ledger: it returns made (this run made the
// change; false when the ledger or OneFile says it was already there) and the ID the call
// answered (or the ledger holds). It ends the row itself (w.done) when the call failed.
func (l *loader) sendOnce(ctx context.Context, w *work, key string, call func(context.Context) (int, error)) (made bool, id int, err error) {
	prior, seen := l.led[key]
	if seen && prior.State == ledger.Done {
		id, _ = strconv.Atoi(prior.OneFileID)
		return false, id, nil
	}
	if l.o.DryRun {
		return true, 0, nil
	}
	unknown := seen && prior.State == ledger.Intent // an earlier run may have made it
	if ok, err := l.intend(w, key, ActAssign, 0); !ok {
		return false, 0, err
	}
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 && !sleep(ctx, backoff(attempt)) {
			break
		}
		id, err := call(ctx)
		switch {
		case err == nil:
			return true, id, l.record(key, ledger.Done, ActAssign, id, "")
		case errors.Is(err, ErrAlreadyAssigned):
			// Made by the earlier attempt whose outcome was unknown, or there before this load.
			return unknown, 0, l.record(key, ledger.Done, ActAssign, 0, "")
		case errors.Is(err, ErrAuth):
			return false, 0, err
		}
		var ref *Refused
		if errors.As(err, &ref) {
			w.refused(ref.Message)
			return false, 0, l.record(key, ledger.Failed, ActAssign, 0, ref.Message)
		}
		last, unknown = err, true
		if l.callCtx.Err() != nil {
			break
		}
	}
	w.fail(RuleAPI, fmt.Sprintf("not sent: %v; run again (the ledger records that its outcome is unknown)", last))
	return false, 0, nil
}
