package load

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/bulkload/bulk/formats/onefile/ledger"
)

// Leavers: a nightly job whose file is a full export may archive the OneFile users it knew
// that tonight's file no longer has (job setting on_missing: archive). The job decides who is a
// leaver (Options.Leavers, from its state's key fingerprints); the load archives them, last,
// from the same download it planned the rows against, under the organisation's lock and the
// ledger. The archive endpoint is a guess isolated in api.ArchivePath (docs/onefile-api.md).

// ActArchive is a leaver's action.
const ActArchive = "archive"

// Leaver is a OneFile user archived (or, in a dry run, to be archived) because the full export
// no longer has them. It names the user as OneFile does: the plan lists who would go.
type Leaver struct {
	ID        int    `json:"id"`
	MISID     string `json:"misid,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Role      int    `json:"role,omitempty"`
	Status    string `json:"status"` // ok, skipped (dry run, or archived before), failed
	Message   string `json:"message,omitempty"`
}

// ArchiveClient is what archiving needs beyond Client; the API adapter has it.
type ArchiveClient interface {
	ArchiveUser(ctx context.Context, id int) error
}

func (a apiClient) ArchiveUser(ctx context.Context, id int) error {
	return mapErr(a.c.ArchiveUser(ctx, id), true)
}

// leavers lists the downloaded users Options.Leavers picks, by ID.
func (l *loader) leavers() []*User {
	seen := map[int]bool{}
	var out []*User
	for _, m := range []map[string][]*User{l.byMISID, l.byEmail} {
		for _, us := range m {
			for _, u := range us {
				if !seen[u.ID] && l.o.Leavers(u) {
					out = append(out, u)
				}
				seen[u.ID] = true
			}
		}
	}
	slices.SortFunc(out, func(a, b *User) int { return a.ID - b.ID })
	return out
}

// archiveLeavers archives the leavers, once each (ledger key archive/ID).
func (l *loader) archiveLeavers(ctx context.Context) error {
	us := l.leavers()
	if len(us) == 0 {
		return nil
	}
	if l.o.LeaverLimit != nil && !l.o.DryRun { // a plan shows every leaver; applying it is the approver's call
		if why := l.o.LeaverLimit(len(us)); why != "" {
			l.logf("%d users are leavers, not archived: %s", len(us), why)
			for _, u := range us {
				l.addLeaver(u, StatusSkipped, "not archived: "+why)
			}
			return nil
		}
	}
	ac, ok := l.o.Client.(ArchiveClient)
	if !ok {
		return errors.New("this OneFile client cannot archive users")
	}
	l.logf("%d users OneFile holds are no longer in the full export: %s.", len(us), map[bool]string{true: "they would be archived", false: "archiving them"}[l.o.DryRun])
	for _, u := range us {
		if ctx.Err() != nil {
			return nil
		}
		key := "archive/" + strconv.Itoa(u.ID)
		if prior, seen := l.led[key]; seen && prior.State == ledger.Done {
			l.addLeaver(u, StatusSkipped, fmt.Sprintf("archived by run %d", prior.RunID))
			continue
		}
		if l.o.DryRun {
			l.addLeaver(u, StatusSkipped, "dry run: would archive (no longer in the full export)")
			continue
		}
		if l.o.Ledger != nil {
			if err := l.o.Ledger.Intend(l.callCtx, l.scope, l.runID, key, ActArchive, strconv.Itoa(u.ID), l.led[key]); err != nil {
				var te *ledger.TakenError
				if errors.As(err, &te) {
					l.addLeaver(u, StatusFailed, fmt.Sprintf("not sent: another load (run %d) recorded this archive while this one ran", te.By.RunID))
					continue
				}
				return err
			}
		}
		err := ac.ArchiveUser(ctx, u.ID)
		var ref *Refused
		switch {
		case err == nil:
			l.addLeaver(u, StatusOK, "archived: no longer in the full export")
			if err := l.record(key, ledger.Done, ActArchive, u.ID, ""); err != nil {
				return err
			}
		case errors.Is(err, ErrAuth):
			return err
		case errors.As(err, &ref):
			l.addLeaver(u, StatusFailed, ref.Message)
			if err := l.record(key, ledger.Failed, ActArchive, u.ID, ref.Message); err != nil {
				return err
			}
		default:
			// Archiving twice leaves the user archived: the next run simply tries again.
			l.addLeaver(u, StatusFailed, fmt.Sprintf("not archived: %v; the next run tries again", err))
		}
	}
	return nil
}

func (l *loader) addLeaver(u *User, status, msg string) {
	role, _ := strconv.Atoi(str(u.Fields["Role"]))
	l.gone = append(l.gone, Leaver{ID: u.ID, MISID: str(u.Fields["MISID"]), Email: str(u.Fields["Email"]),
		FirstName: str(u.Fields["FirstName"]), LastName: str(u.Fields["LastName"]), Role: role, Status: status, Message: msg})
}
