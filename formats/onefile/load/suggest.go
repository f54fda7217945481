package load

import (
	"fmt"
	"strings"
	"sync"

	"github.com/bulkload/bulk/internal/suggest"
)

// hints are what a reference that resolved to nothing is told, worked out once per name: many
// rows of one file usually share a misspelt classroom, and a user found in another organisation
// costs a search per organisation.
type hints struct {
	mu    sync.Mutex
	names map[string]string // entity + "/" + lower(name) → " Did you mean ...?" or ""
	users map[string]string // col + lower(key) → " ... is in organisation N (...)" or ""
}

// didYouMean is " Did you mean 'Business Admin L3 2026'?" for a classroom, placement, standard
// or unit name that names nothing in the organisation, naming the nearest of its names, or "".
func (l *loader) didYouMean(entity, name string) string {
	key := entity + "/" + lower(name)
	l.hints.mu.Lock()
	defer l.hints.mu.Unlock()
	if l.hints.names == nil {
		l.hints.names = map[string]string{}
	}
	if h, ok := l.hints.names[key]; ok {
		return h
	}
	var all []string
	prefix := entity + "/"
	for k, rs := range l.refs {
		if strings.HasPrefix(k, prefix) && len(rs) > 0 {
			all = append(all, rs[0].Name)
		}
	}
	h := ""
	if near := suggest.NearestNames(name, all); len(near) > 0 {
		h = fmt.Sprintf(" Did you mean %s?", suggest.Quoted(near))
	}
	l.hints.names[key] = h
	return h
}

// elsewhere says where a user a row names by MISID or e-mail is when it is not in this
// organisation but in another the token sees: " STF-101 is a user of organisation 5741
// (Adult Skills), not of 5740: a load goes to one organisation (--org)." It searches each other
// organisation once per key (reads only, so a dry run does it too); "" when none holds the user
// or the search fails (the row fails with its own message either way).
func (l *loader) elsewhere(misid, email string) string {
	key := "m/" + misid
	if misid == "" {
		key = "e/" + email
	}
	l.hints.mu.Lock()
	defer l.hints.mu.Unlock()
	if l.hints.users == nil {
		l.hints.users = map[string]string{}
	}
	if h, ok := l.hints.users[key]; ok {
		return h
	}
	h := ""
	for _, o := range l.orgs {
		if o.ID == l.org.ID {
			continue
		}
		f := UserFilter{OrganisationID: o.ID, MISID: misid}
		if misid == "" {
			f.Email = email
		}
		var found []User
		err := l.o.Client.SearchUsers(l.callCtx, f, func(page []User) error {
			found = append(found, page...)
			return nil
		})
		if err != nil || len(found) == 0 {
			continue
		}
		h = fmt.Sprintf(" It is user %d of organisation %d (%s), not of %d, which this load goes to: load that user's rows with --org %d, or create the user in %d first.",
			found[0].ID, o.ID, o.Name, l.org.ID, o.ID, l.org.ID)
		break
	}
	l.hints.users[key] = h
	return h
}
