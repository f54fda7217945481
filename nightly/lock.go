package nightly

import (
	"errors"
	"fmt"

	"github.com/bulkload/bulk/lockfile"
)

// Lock keeps two runs of one job from overlapping. It is an advisory lock (flock, see package
// lockfile) on a file: the kernel drops it when the process dies, however it dies, so a lock
// left by a killed run is never stale; the file's text (pid, command, start time) only explains
// who holds it.
type Lock struct {
	l *lockfile.Lock
	// Stale describes an earlier holder that died without cleaning up, if any.
	Stale string
}

// Acquire takes the lock at path or returns an error wrapping ErrLocked that names the holder.
func Acquire(path string) (*Lock, error) {
	l, err := lockfile.Acquire(path)
	var he *lockfile.HeldError
	if errors.As(err, &he) {
		who := "holder unknown"
		if he.Holder != nil {
			who = he.Holder.String()
		}
		return nil, fmt.Errorf("%w (%s)", ErrLocked, who)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot take the job lock: %w", err)
	}
	out := &Lock{l: l}
	if l.Stale != nil {
		who := "an earlier run (holder unknown)"
		if l.Stale.PID != 0 {
			who = l.Stale.String()
		}
		out.Stale = who + " ended without releasing the lock; taking over"
	}
	return out, nil
}

// Release empties the lock file and drops the lock.
func (l *Lock) Release() error { return l.l.Release() }
