package nightly

import (
	"context"
	"errors"
	"fmt"

	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/lockfile"
)

// Lock keeps two runs of one job from overlapping. With the job's state in a file it is an
// advisory lock (flock, see package lockfile) on a file in the archive folder: the kernel drops
// it when the process dies, however it dies, so a lock left by a killed run is never stale; the
// file's text (pid, command, start time) only explains who holds it. With the state in
// PostgreSQL (state: postgres://...) the job may run on several machines, each with its own
// archive folder, so the lock is an advisory lock in that database instead (AcquireShared).
type Lock struct {
	l *lockfile.Lock
	a *sqlstore.Advisory
	// what names a shared lock, for people.
	what string
	// Stale describes an earlier holder that died without cleaning up, if any.
	Stale string
}

// Acquire takes the lock at path or returns an error wrapping ErrLocked that names the holder.
func Acquire(path string) (*Lock, error) {
	l, err := lockfile.Acquire(path)
	if err != nil {
		return nil, lockError(err)
	}
	out := &Lock{l: l, what: l.Path()}
	if l.Stale != nil {
		who := "an earlier run (holder unknown)"
		if l.Stale.PID != 0 {
			who = l.Stale.String()
		}
		out.Stale = who + " ended without releasing the lock; taking over"
	}
	return out, nil
}

// AcquireShared takes job j's lock in the PostgreSQL database db (the job's state) without
// waiting, or returns an error wrapping ErrLocked that names the holder (pid and machine). It is
// keyed by the job's name and its canonical target (TargetKey), so the same job file installed
// on several machines runs on one at a time, whatever spelling of the target each copy has.
func AcquireShared(db *sqlstore.DB, j *Job) (*Lock, error) {
	name := jobLockName(j)
	what := fmt.Sprintf("the lock of job %s (a PostgreSQL advisory lock in %s)", j.Name, db.Where())
	a, err := db.Lock(context.Background(), name, what)
	if err != nil {
		return nil, lockError(err)
	}
	return &Lock{a: a, what: what}, nil
}

// jobLockName names job j's shared lock: its name and canonical target.
func jobLockName(j *Job) string { return "nightly job\x00" + j.Name + "\x00" + j.TargetKey() }

func lockError(err error) error {
	var he *lockfile.HeldError
	if errors.As(err, &he) {
		who := "holder unknown"
		if he.Holder != nil {
			who = he.Holder.String()
		}
		return fmt.Errorf("%w (%s)", ErrLocked, who)
	}
	return fmt.Errorf("cannot take the job lock: %w", err)
}

// Path names the lock: its file, or the advisory lock and its database.
func (l *Lock) Path() string { return l.what }

// Lost is closed when a shared lock's session ended under this run (see sqlstore.TryLock): the
// run must stop. Nil, never closed, for a lock file.
func (l *Lock) Lost() <-chan struct{} {
	if l.a == nil {
		return nil
	}
	return l.a.Lost()
}

// LostErr says why a shared lock was lost, once Lost is closed.
func (l *Lock) LostErr() error {
	if l.a == nil {
		return nil
	}
	return l.a.Err()
}

// Shared reports whether the lock is in the shared database rather than a file.
func (l *Lock) Shared() bool { return l.a != nil }

// Release drops the lock (and empties a lock file).
func (l *Lock) Release() error {
	if l.a != nil {
		return l.a.Release()
	}
	return l.l.Release()
}
