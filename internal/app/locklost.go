package app

import (
	"context"
	"errors"
	"fmt"
)

// LockLostError is a run stopped because a shared lock it held was lost: the session of a
// PostgreSQL advisory lock ended under it (the server restarted, the connection was cut), so
// another machine could now start the same work. The run stops as an interrupted one does
// (what was done is recorded) and a re-run finishes it.
type LockLostError struct {
	What string // the lock, for people
	Err  error  // why it was lost
}

func (e *LockLostError) Error() string {
	return fmt.Sprintf("the shared lock was lost: %s: %v. Stopped as if interrupted, so that no other machine loads the same rows at once; what was done is recorded", e.What, e.Err)
}

func (e *LockLostError) Unwrap() error { return e.Err }

// SharedLock is a held lock that can be lost under a live process (ledger.Lock,
// pushledger.Lock, a nightly job's lock): Lost is nil, never closed, for a lock file.
type SharedLock interface {
	Path() string
	Lost() <-chan struct{}
	LostErr() error
}

// LockGuard stops a run when a shared lock it holds is lost: the context NewLockGuard returns
// is cancelled with a *LockLostError as its cause, which the run's own cancellation handling
// (as for Ctrl-C) turns into a clean, resumable stop.
type LockGuard struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// NewLockGuard returns a guard and the context the guarded run must use. Stop it when the run
// ends.
func NewLockGuard(ctx context.Context) (*LockGuard, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &LockGuard{ctx: ctx, cancel: cancel}, ctx
}

// Watch cancels the guard's context when lk is lost, until the guard is stopped. A nil guard
// or a lock that cannot be lost is not watched.
func (g *LockGuard) Watch(lk SharedLock) {
	if g == nil || lk == nil || lk.Lost() == nil {
		return
	}
	go func() {
		select {
		case <-lk.Lost():
			g.cancel(&LockLostError{What: lk.Path(), Err: lk.LostErr()})
		case <-g.ctx.Done():
		}
	}()
}

// Stop ends the watches.
func (g *LockGuard) Stop() {
	if g != nil {
		g.cancel(context.Canceled)
	}
}

// Lost is the lost lock that stopped the run, or nil.
func (g *LockGuard) Lost() *LockLostError {
	if g == nil {
		return nil
	}
	var lle *LockLostError
	if errors.As(context.Cause(g.ctx), &lle) {
		return lle
	}
	return nil
}

// Err is how a guarded run ended: err, unless a lost lock stopped it; then an Interrupted
// *Error saying so and that running the command again finishes the work.
func (g *LockGuard) Err(err error) error {
	lle := g.Lost()
	if lle == nil || err == nil {
		return err
	}
	return &Error{Kind: Interrupted, Err: lle, Hint: "Run the same command again (here or on another machine sharing the state) once the database answers: it does only what is left."}
}
