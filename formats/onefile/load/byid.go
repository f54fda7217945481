package load

import (
	"fmt"
	"strconv"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Rows that give the user's own OneFile ID (column OneFileID, which 'bulk pull onefile'
// writes) are matched by it before anything else: the ID is the user's identity, so the row's
// MISID and Email are values to update, not keys to match. The ID is looked up in the
// organisation's download, never sent in a body: an update names it in its path.

// idColumn is the column a row's OneFile ID is read from, for problems and messages.
var idColumn = schema.UserID.Name

// byIDRow finds the OneFile user a row's OneFileID names. It ends the row (rejected, rule
// reference) and returns nil when the ID names no user of the organisation, or when the run's
// mode cannot use it: --mode create makes new users only, and a row with an ID is an existing
// user's.
func (l *loader) byIDRow(w *work) *User {
	id := int(w.it.User.ID)
	u := l.byID[id]
	switch {
	case u == nil:
		w.fail(RuleReference, fmt.Sprintf("%s %d names no user in organisation %d, so the row was not sent.%s", idColumn, id, l.org.ID, l.idHint(w)))
	case l.o.Mode == Create:
		w.fail(RuleReference, fmt.Sprintf("%s %d is OneFile user %d (%s), who exists already: --mode create only makes new users, so the row was not sent. "+
			"Load with --mode upsert (or update) to change that user; a pulled workbook loads back with --mode upsert", idColumn, id, id, personName(u.Fields)))
	default:
		return u
	}
	w.field = idColumn
	return nil
}

// idHint points a row whose ID names nobody at the user its own MISID or e-mail names in the
// organisation, when there is exactly one (no call: the download has them).
func (l *loader) idHint(w *work) string {
	u, _ := l.match(w.misid, w.email)
	if u == nil {
		return " Check the ID (bulk pull onefile writes every user's), or clear it to match the row by MISID and Email."
	}
	return fmt.Sprintf(" The row's %s is OneFile user %d (%s): did you mean %d?", w.matchedBy(u), u.ID, personName(u.Fields), u.ID)
}

// misidTaken returns the OneFile user other than u who already holds the MISID a row matched
// by ID would give u: MISIDs tell users apart (loads and assignments find users by them), so an
// update must not make two users share one.
func (l *loader) misidTaken(w *work, u *User) *User {
	if w.misid == "" || lower(str(u.Fields["MISID"])) == w.misid {
		return nil
	}
	for _, o := range l.byMISID[w.misid] {
		if o.ID != u.ID {
			return o
		}
	}
	return nil
}

// idKey is the ledger's key of a row matched by ID: the user, whatever MISID and Email the row
// gives them.
func idKey(id int64) string { return "user/id/" + strconv.FormatInt(id, 10) }

// planUserByID plans a row that gives a OneFileID: the user it names, or the row ends.
func (l *loader) planUserByID(w *work) {
	u := l.byIDRow(w)
	if u == nil {
		l.emit(w)
		return
	}
	l.planMatched(w, u)
}
