package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/internal/httpx"
)

// learnerRefs are the fields of a learner that name other users.
var learnerRefs = []string{"DefaultAssessorID", "DefaultEmployerID"}

// errNotSent is a reference to a row that was rejected or failed: the row is not sent.
type errNotSent struct{ msg string }

func (e *errNotSent) Error() string { return e.msg }

// errPending is a reference to a user a dry run would create: there is no ID yet.
var errPending = errors.New("pending")

// resolveUser finds the OneFile ID of the user a reference names: an ID as given, else a row of
// this load (which must have been loaded), else a user on OneFile, by MISID then Email. col is
// the columns' prefix for messages ("DefaultAssessor", "Learner", "User"). named is false when
// the reference names nobody.
func (l *loader) resolveUser(it *Item, ref onefile.UserRef, col, what string) (id int, named bool, err error) {
	if ref.ID != 0 {
		return int(ref.ID), true, nil
	}
	misid, email := lower(ref.MISID), lower(ref.Email)
	if misid == "" && email == "" {
		return 0, false, nil
	}
	// The problem marks the column the reference was read from.
	field := col + "MISID"
	if misid == "" {
		field = col + "Email"
	}
	defer func() {
		if err != nil && err != errPending {
			err = onField(field, err)
		}
	}()
	var w *work
	if misid != "" {
		w = l.inMISID[misid]
	}
	if w == nil && email != "" {
		w = l.inEmail[email]
	}
	if w != nil {
		switch {
		case w.ok():
			return w.id, true, nil
		case l.o.DryRun && w.done && w.res.Status != StatusFailed && w.res.Status != StatusRejected:
			return 0, true, errPending
		case w.done && w.needID:
			return 0, true, &errNotSent{fmt.Sprintf("not sent: the %s (%s) was created but its OneFile ID could not be found; run again", what, w.where(it))}
		default:
			return 0, true, &errNotSent{fmt.Sprintf("not sent: the %s (%s) was not loaded: %s", what, w.where(it), w.res.Message)}
		}
	}
	u, why := l.match(misid, email)
	if why != "" {
		return 0, true, errors.New(why)
	}
	if u == nil {
		name := col + "MISID " + strconv.Quote(ref.MISID)
		if misid == "" {
			name = col + "Email " + strconv.Quote(ref.Email)
		}
		if h := l.elsewhere(misid, email); h != "" {
			return 0, true, fmt.Errorf("%s names no user in this load or in organisation %d.%s", name, l.org.ID, h)
		}
		return 0, true, fmt.Errorf("%s names no user in this load or on OneFile (if its row was rejected, fix that row first).", name)
	}
	return u.ID, true, nil
}

// where names w's row as seen from item it.
func (w *work) where(it *Item) string {
	if w.it.Src == it.Src {
		return fmt.Sprintf("row %d", w.it.Row)
	}
	return fmt.Sprintf("row %d of %s", w.it.Row, w.it.Src.Where())
}

// payload builds the user's fields for OneFile from the kind's conversion, resolving
// references. A reference that cannot be resolved fails the row.
func (l *loader) payload(w *work) (map[string]any, error) {
	u := w.it.User
	p := make(map[string]any, len(u.Fields)+6)
	for k, v := range u.Fields {
		if n, ok := v.(int64); ok {
			v = int(n)
		}
		p[k] = v
	}
	p["OrganisationID"] = l.org.ID
	p["Role"] = w.role
	if u.OrganisationID != 0 && int(u.OrganisationID) != l.org.ID {
		return nil, onField("OrganisationID", fmt.Errorf("OrganisationID %d is not the organisation this load goes to (%d); leave the column empty or load it with --org %d", u.OrganisationID, l.org.ID, u.OrganisationID))
	}
	named := []struct {
		ref    onefile.NamedRef
		field  string
		entity string
	}{{u.Classroom, "ClassroomID", "Classroom"}, {u.Placement, "PlacementID", "Placement"}}
	for _, n := range named {
		switch {
		case n.ref.ID != 0:
			p[n.field] = int(n.ref.ID)
		case n.ref.Name != "":
			id, err := l.refID(n.entity, n.ref.Name)
			if err != nil {
				return nil, err
			}
			p[n.field] = id
		}
	}
	if w.role == onefile.RoleLearner {
		for _, r := range []struct {
			ref         onefile.UserRef
			field, what string
		}{{u.DefaultAssessor, "DefaultAssessorID", "default assessor"}, {u.DefaultEmployer, "DefaultEmployerID", "default employer"}} {
			id, named, err := l.resolveUser(w.it, r.ref, strings.TrimSuffix(r.field, "ID"), r.what)
			if errors.Is(err, errPending) {
				p[r.field] = 0 // a dry run: the user would be created first
				continue
			}
			if err != nil {
				return nil, err
			}
			if named {
				p[r.field] = id
			}
		}
	}
	return p, nil
}

// doUser creates or updates one user.
func (l *loader) doUser(ctx context.Context, w *work) error {
	p, err := l.payload(w)
	if err != nil {
		w.failRef(err)
		return nil
	}
	switch w.plan {
	case planCreate:
		return l.create(ctx, w, p)
	case planUpdate:
		return l.update(ctx, w, p)
	}
	return nil
}

// guess G11 (docs/guesses.md).
func (l *loader) create(ctx context.Context, w *work, p map[string]any) error {
	if l.o.DryRun {
		w.would(ActCreate, "dry run: would create "+roleName(w.role))
		return nil
	}
	prior := l.led[w.key]
	if ok, err := l.intend(w, w.key, ActCreate, 0); !ok {
		return err
	}
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 {
			if !sleep(ctx, backoff(attempt)) {
				break
			}
		}
		c, err := l.o.Client.CreateUser(ctx, p)
		if err == nil {
			w.id = c.ID
			if cerr := l.addCred(w, c); cerr != nil {
				// OneFile made the user: the ledger says so, so no run creates them again,
				// but their password is not kept. Stop creating: each further login would
				// be lost the same way.
				w.finish(ActCreate, StatusOK, "created, but its login could not be saved ("+firstLine(cerr.Error())+"): reset the password in OneFile")
				if rerr := l.record(w.key, ledger.Done, ActCreate, w.id, ""); rerr != nil {
					return rerr
				}
				return cerr
			}
			msg := ""
			if c.ID == 0 {
				w.needID = true // keychain on: the answer has no ID; found after the stage
				l.keychain.Store(true)
				msg = "created (keychain: ID looked up by MISID/Email)"
			}
			if prior.State == ledger.Intent {
				msg = strings.TrimSpace(msg + " after an earlier run's unknown outcome was checked")
			}
			w.finish(ActCreate, StatusOK, msg)
			return l.record(w.key, ledger.Done, ActCreate, w.id, "")
		}
		if errors.Is(err, ErrAuth) {
			return err
		}
		var ref *Refused
		if errors.As(err, &ref) {
			w.res.Action = ActCreate
			w.refused(ref.Message)
			return l.record(w.key, ledger.Failed, ActCreate, 0, ref.Message)
		}
		// The user may exist: look before trying again.
		last = err
		u, serr := l.findUser(ctx, w)
		if serr != nil {
			if errors.Is(serr, ErrAuth) {
				return serr
			}
			w.res.Action = ActCreate
			w.fail(RuleAPI, fmt.Sprintf("outcome unknown (%v) and the search that would tell failed (%v); run again: the next run checks first", err, serr))
			return nil // the intent stays: the next run's download tells
		}
		if u != nil {
			w.id = u.ID
			msg := fmt.Sprintf("created (confirmed by search after: %v)", firstLine(err.Error()))
			if !l.org.Keychain {
				msg += "; the login OneFile answered with was lost: reset the password in OneFile if it is needed"
				l.credMu.Lock()
				l.lost = append(l.lost, w.it)
				l.credMu.Unlock()
			}
			w.finish(ActCreate, StatusOK, msg)
			return l.record(w.key, ledger.Done, ActCreate, w.id, "")
		}
		if l.callCtx.Err() != nil {
			break
		}
	}
	w.res.Action = ActCreate
	msg := fmt.Sprintf("not created after %d attempts: %v", maxAttempts, last)
	if last == nil || l.callCtx.Err() != nil {
		msg = "not created: the run was interrupted"
	}
	w.fail(RuleAPI, msg)
	return l.record(w.key, ledger.Failed, ActCreate, 0, msg)
}

// findUser searches OneFile for the row's user by MISID, else by Email, checking what comes
// back (how OneFile matches text is not documented). nil, nil: no such user.
func (l *loader) findUser(ctx context.Context, w *work) (*User, error) {
	f := UserFilter{OrganisationID: l.org.ID}
	if w.misid != "" {
		f.MISID = w.it.User.MISID
	} else {
		f.Email = w.it.User.Email
	}
	var err error
	for try := 0; try < searchRetries; try++ {
		if try > 0 && !sleep(ctx, backoff(try+1)) {
			break
		}
		var found *User
		err = l.o.Client.SearchUsers(ctx, f, func(us []User) error {
			for i := range us {
				u := &us[i]
				if (w.misid != "" && lower(str(u.Fields["MISID"])) == w.misid) ||
					(w.misid == "" && lower(str(u.Fields["Email"])) == w.email) {
					if found == nil || u.ID < found.ID {
						found = u
					}
				}
			}
			return nil
		})
		if err == nil {
			return found, nil
		}
		if errors.Is(err, ErrAuth) {
			return nil, err
		}
	}
	return nil, err
}

func (l *loader) update(ctx context.Context, w *work, p map[string]any) error {
	var pending []string
	for _, f := range learnerRefs {
		if v, ok := p[f]; ok && v == 0 { // a dry run: a user the load would create
			delete(p, f)
			pending = append(pending, f+": → the new user its row names")
		}
	}
	// A field the search did not answer is unknown, not empty: read the whole user before
	// deciding, so only what really differs is sent (and the identity check sees DOB and ULN).
	if _, unknown := diff(w.existing, p); len(unknown) > 0 {
		u, err := l.o.Client.GetUser(ctx, w.id)
		if err != nil {
			if errors.Is(err, ErrAuth) {
				return err
			}
			w.res.Action = ActUpdate
			w.fail(RuleAPI, fmt.Sprintf("not updated: cannot read OneFile user %d to compare (%v); run again", w.id, err))
			return nil
		}
		w.existing = &u
	}
	if w.refuseLost(w.existing, p) {
		return nil
	}
	if moved := identityChange(w.existing, p); moved != nil && !l.o.AllowIdentityChange {
		w.reject(RuleIdentity, ActConflict, w.conflictMessage(w.existing, moved, l.o.MonthFirst))
		return nil
	}
	changes, _ := diff(w.existing, p)
	w.res.Before = before(w.existing, p)
	if pr := l.planned(w); pr != nil {
		if stale := pr.moved(w.existing, l.o.MonthFirst); len(stale) > 0 {
			w.reject(RuleStale, ActUpdate, "stale: OneFile user "+strconv.Itoa(w.id)+" changed since the plan was made ("+strings.Join(stale, "; ")+"); nothing was sent. Make the plan again")
			w.res.Status = StatusStale
			return nil
		}
	}
	desc := append(describe(changes, l.o.MonthFirst), pending...)
	if len(desc) == 0 {
		msg := "already on OneFile, nothing differs"
		if l.planned(w) != nil {
			msg = "already as the plan wants it; nothing sent"
		}
		w.finish(ActExists, StatusSkipped, msg)
		return nil
	}
	w.res.Changes = changes
	what := strings.Join(desc, "; ")
	if l.o.DryRun {
		w.would(ActUpdate, "dry run: would change "+what)
		return nil
	}
	if ok, err := l.intend(w, w.key, ActUpdate, w.id); !ok {
		return err
	}
	send := make(map[string]any, len(changes))
	for _, c := range changes {
		send[c.Field] = c.To
	}
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 && !sleep(ctx, backoff(attempt)) {
			break
		}
		err := l.o.Client.UpdateUser(ctx, w.id, send)
		if err == nil {
			w.finish(ActUpdate, StatusOK, "changed "+what)
			return l.record(w.key, ledger.Done, ActUpdate, w.id, "")
		}
		if errors.Is(err, ErrAuth) {
			return err
		}
		var ref *Refused
		if errors.As(err, &ref) {
			w.res.Action = ActUpdate
			w.refused(ref.Message)
			return l.record(w.key, ledger.Failed, ActUpdate, w.id, ref.Message)
		}
		last = err // an update is the same whether made once or twice: try again
		if l.callCtx.Err() != nil {
			break
		}
	}
	w.res.Action = ActUpdate
	w.fail(RuleAPI, fmt.Sprintf("not updated: %v", last))
	return nil
}

// findNewIDs finds the IDs of users created with the keychain setting on (the answer carries
// none): one new download of the organisation when that costs fewer calls than searching for
// each, else a search per user. OneFile's search may not list a user for a while after the
// create (read after write): those not found are searched again with backoff for up to
// Options.FindNewWait.
// guess G2 (docs/guesses.md).
func (l *loader) findNewIDs(ctx context.Context, ws []*work) error {
	var need []*work
	for _, w := range ws {
		if w.done && w.needID {
			need = append(need, w)
		}
	}
	wait := l.o.FindNewWait
	if wait == 0 {
		wait = DefaultFindNewWait
	}
	deadline := time.Now().Add(wait)
	for round := 1; len(need) > 0; round++ {
		if round > 1 {
			d := findAgain.Backoff(round - 1)
			if wait < 0 || time.Now().Add(d).After(deadline) || !sleep(ctx, d) {
				break
			}
			if round == 2 {
				l.logf("%d new user(s) not listed by OneFile's search yet (its index lags behind creates): searching again for up to %v", len(need), wait)
			}
		}
		var err error
		if need, err = l.findNew(ctx, need); err != nil {
			return err
		}
	}
	for _, w := range need {
		w.res.Message = fmt.Sprintf("created, but OneFile's search did not list it within %v (keychain on: the answer carries no ID); rows naming it are not sent: run again to send them", max(wait, 0))
	}
	return nil
}

// DefaultFindNewWait is Options.FindNewWait unless set.
const DefaultFindNewWait = 30 * time.Second

// findAgain spaces the searches for new users OneFile does not list yet.
var findAgain = httpx.Policy{Base: 250 * time.Millisecond, Cap: 4 * time.Second, Jitter: httpx.EqualJitter}

// findNew looks for the users of need once, records those found and returns the rest.
func (l *loader) findNew(ctx context.Context, need []*work) ([]*work, error) {
	pages := (l.nUsers+len(need))/pageSize + 1
	if len(need) > pages {
		if err := l.download(ctx); err != nil {
			return nil, err
		}
	}
	var left []*work
	for _, w := range need {
		u, _ := l.match(w.misid, w.email)
		if u == nil {
			var err error
			if u, err = l.findUser(ctx, w); err != nil && errors.Is(err, ErrAuth) {
				return nil, err
			}
		}
		if u == nil {
			left = append(left, w)
			continue
		}
		w.id, w.needID = u.ID, false
		w.res.OneFileID = strconv.Itoa(u.ID)
		if err := l.record(w.key, ledger.Done, ActCreate, w.id, ""); err != nil {
			return nil, err
		}
	}
	return left, nil
}

// pageSize is the page size the client uses for downloads (an estimate of the calls a download costs).
const pageSize = 500

// retry is the loader's policy for changes it tries again after a search proved the last
// attempt made nothing (the shared mechanism of internal/httpx; the client's own retries of
// reads and idempotent calls happen below it).
var retry = httpx.Policy{MaxAttempts: maxAttempts, Base: 200 * time.Millisecond, Cap: 5 * time.Second, Jitter: httpx.FullJitter}

// backoff before attempt n (2, 3, ...).
func backoff(n int) time.Duration { return retry.Backoff(n - 1) }

func sleep(ctx context.Context, d time.Duration) bool { return httpx.Sleep(ctx, d) == nil }
