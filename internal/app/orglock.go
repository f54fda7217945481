package app

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/lockfile"
)

// orgBusyError is a load refused because another load holds the organisation's lock. It wraps
// the *lockfile.HeldError, so errors.Is(err, lockfile.ErrLocked) finds it (a nightly run leaves
// its file for the next run then, instead of filing it as failed).
type orgBusyError struct {
	url  string
	org  int
	name string
	held *lockfile.HeldError
}

func (e *orgBusyError) Error() string {
	org := fmt.Sprintf("organisation %d", e.org)
	if e.name != "" {
		org += " (" + e.name + ")"
	}
	who := "another process"
	if e.held.Holder != nil {
		who = e.held.Holder.String()
	}
	return fmt.Sprintf("another load into OneFile %s at %s is running: %s. Nothing was sent by this run", org, e.url, who)
}

func (e *orgBusyError) Unwrap() error { return e.held }

// busyHint says what to do about a load refused for another's lock. With a shared state the
// holder may run on another machine: its pid is only of use there, so the hint names it.
func busyHint(h *lockfile.Holder) string {
	hint := "Wait for it to finish, or stop it (Ctrl-C where it runs"
	if h != nil {
		hint += fmt.Sprintf(", or kill %d", h.PID)
		if host, _ := os.Hostname(); h.Host != "" && h.Host != host {
			hint += " on " + h.Host
		}
	}
	return hint + "; what it did is recorded), then run this command again: it does only what is left. A load that was killed releases the lock by itself."
}

// lockOrg takes the lock a load holds while it sends to one organisation (a file in locks/
// beside a SQLite ledger, an advisory lock in a PostgreSQL one, shared by every machine): two loads into one organisation at once could both find a learner new and
// both create them. Refused, it returns an exit-2 error that says who holds it and what to do.
// A note goes to w when an earlier load died holding it (w nil: say nothing). g, when not nil,
// stops the load should the lock be lost (an advisory lock whose session ended).
func lockOrg(led *ledger.Ledger, url string, org int, name string, w io.Writer, g *LockGuard) (*ledger.Lock, error) {
	lk, err := led.LockScope(ledger.Scope{APIRoot: url, Org: org})
	var he *lockfile.HeldError
	if errors.As(err, &he) {
		return nil, cannotRun(&orgBusyError{url: url, org: org, name: name, held: he}, busyHint(he.Holder))
	}
	if err != nil {
		return nil, cannotRun(err, "The lock lives beside the run ledger (in its database, for --state postgres://...): give a ledger in a writable folder with --state PATH, or check the database.")
	}
	g.Watch(lk)
	if lk.Stale != nil && w != nil {
		who := "an earlier load"
		if lk.Stale.PID != 0 {
			who = "an earlier load, " + lk.Stale.String() + ","
		}
		fmt.Fprintf(w, "Note: %s into organisation %d stopped without finishing (killed?); this run checks OneFile for what it did before sending.\n", who, org)
	}
	return lk, nil
}
