package load

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline"
	"golang.org/x/text/encoding/charmap"
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

// lostChange returns the first field (in name order) whose update would put '?' where OneFile
// holds a character: the row's value is OneFile's with some characters replaced by '?', as
// Excel's plain "CSV" (Windows-1252) writes the characters it cannot hold (李 Wei → ? Wei).
// Only rows of a file read as Windows-1252 are checked: elsewhere a '?' was typed.
func lostChange(src *pipeline.Source, u *User, want map[string]any) (Change, bool) {
	if src == nil || src.Encoding != pipeline.EncodingWindows1252 {
		return Change{}, false
	}
	keys := make([]string, 0, len(want))
	for k, v := range want {
		if s, ok := v.(string); ok && strings.IndexByte(s, '?') >= 0 && u.known(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		have, ok := u.Fields[k].(string)
		if ok && lostAsQuestionMarks(have, want[k].(string)) {
			return Change{Field: k, From: have, To: want[k]}, true
		}
	}
	return Change{}, false
}

// lostAsQuestionMarks reports whether got is have with one or more characters that
// Windows-1252 cannot hold written as '?' (two for a character outside the Basic Multilingual
// Plane, which Excel writes as two UTF-16 units), and otherwise the same.
func lostAsQuestionMarks(have, got string) bool {
	if have == got || len(got) > 4*len(have)+4 {
		return false
	}
	return matchLost(have, got, false)
}

func matchLost(have, got string, lost bool) bool {
	for have != "" && got != "" {
		h, hn := utf8.DecodeRuneInString(have)
		if got[0] != '?' || !unencodable(h) {
			g, gn := utf8.DecodeRuneInString(got)
			if g != h {
				return false
			}
			have, got = have[hn:], got[gn:]
			continue
		}
		// got's '?' stands for h; one outside the BMP may stand as "??".
		if h > 0xFFFF && strings.HasPrefix(got, "??") && matchLost(have[hn:], got[2:], true) {
			return true
		}
		have, got, lost = have[hn:], got[1:], true
	}
	return have == "" && got == "" && lost
}

// unencodable reports whether Windows-1252 has no byte for r.
func unencodable(r rune) bool {
	_, ok := charmap.Windows1252.EncodeRune(r)
	return !ok
}

// lostMessage says why an update that would put '?' in place of characters was not sent.
func (w *work) lostMessage(u *User, c Change) string {
	return fmt.Sprintf("not sent: OneFile user %d's %s is %q, and this row would make it %q, with '?' where characters were: "+
		"%s was saved as Excel's plain \"CSV\" (Windows-1252), which cannot hold characters such as 李, ł or ọ and writes '?' instead. "+
		"Save it again as \"CSV UTF-8\" and load it again",
		u.ID, c.Field, str(c.From), str(c.To), w.it.Src.File)
}

// refuseLost rejects w when its update of u would replace characters with '?' (lostChange).
func (w *work) refuseLost(u *User, want map[string]any) bool {
	c, ok := lostChange(w.it.Src, u, want)
	if !ok {
		return false
	}
	w.reject(pipeline.RuleLossyEncoding, ActUpdate, w.lostMessage(u, c))
	w.field = c.Field
	return true
}
