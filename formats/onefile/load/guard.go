package load

import (
	"fmt"
	"strconv"
	"strings"
)

// The checks a plan makes before an existing OneFile user is changed: a row that matched a user
// by MISID or Email may still be another person (a reused MISID, a typo), and an e-mail may
// already be someone else's. Both are decided against what OneFile holds, never sent.

// identityFields are the fields that tell people apart. Changing the ULN, or two of the others,
// is taken as a different person: a correction changes one of them.
var identityFields = []string{"ULN", "FirstName", "LastName", "DOB"}

// identityChange returns the identity fields an update of u to want would change, when they
// say the row is another person; nil otherwise. A field OneFile holds empty, or whose value is
// unknown, is being filled in, not changed.
func identityChange(u *User, want map[string]any) []Change {
	var moved []Change
	uln := false
	for _, k := range identityFields {
		v, ok := want[k]
		if !ok || !u.known(k) || blank(u.Fields[k]) {
			continue
		}
		if sameIdentity(k, u.Fields[k], v) {
			continue
		}
		moved = append(moved, Change{Field: k, From: u.Fields[k], To: v})
		uln = uln || k == "ULN"
	}
	if uln || len(moved) >= 2 {
		return moved
	}
	return nil
}

func blank(v any) bool {
	s, ok := v.(string)
	return v == nil || ok && strings.TrimSpace(s) == ""
}

// sameIdentity compares names as people do (case and spacing aside) and the rest as the API does.
func sameIdentity(field string, have, want any) bool {
	if field == "FirstName" || field == "LastName" {
		return strings.EqualFold(strings.Join(strings.Fields(str(have)), " "), strings.Join(strings.Fields(str(want)), " "))
	}
	f, _ := userField(field)
	return same(f, have, want)
}

// personName is "First Last" of a field map, for messages.
func personName(fields map[string]any) string {
	n := strings.TrimSpace(str(fields["FirstName"]) + " " + str(fields["LastName"]))
	if n == "" {
		return "no name"
	}
	return n
}

// matchedBy says how a row found user u: "OneFileID 1010", "MISID \"L-1\"" or "Email \"a@b\"".
func (w *work) matchedBy(u *User) string {
	if id := w.it.User.ID; id != 0 && int(id) == u.ID {
		return idColumn + " " + strconv.FormatInt(id, 10)
	}
	if w.misid != "" && lower(str(u.Fields["MISID"])) == w.misid {
		return "MISID " + strconv.Quote(w.it.User.MISID)
	}
	return "Email " + strconv.Quote(w.it.User.Email)
}

// conflictMessage names both people and what differs.
func (w *work) conflictMessage(u *User, moved []Change, mdy bool) string {
	return fmt.Sprintf("conflict: row %d (%s) matches OneFile user %d (%s) by %s, but %s differ (%s): they look like two people, so nothing was sent. "+
		"Check the row's MISID and Email; if it is the same person, load with --allow-identity-change",
		w.it.Row, personName(w.it.User.Fields), u.ID, personName(u.Fields), w.matchedBy(u), fieldNames(moved), strings.Join(describe(moved, mdy), "; "))
}

// emailTaken returns the OneFile user other than u who already holds the row's e-mail, if any:
// OneFile users need e-mails of their own, and an update must not give one person another's.
func (l *loader) emailTaken(w *work, u *User) *User {
	if w.email == "" || lower(str(u.Fields["Email"])) == w.email {
		return nil
	}
	for _, o := range l.byEmail[w.email] {
		if o.ID != u.ID {
			return o
		}
	}
	return nil
}
