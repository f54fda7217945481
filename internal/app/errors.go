package app

import (
	"errors"
	"fmt"
)

// Kind classifies how a use case ended, worst last: the front end maps it to what it shows
// (cmd/bulk: an exit status, in cmd/bulk/exit.go). The order is what matters more to the person
// reading cron's mail, so the worse of two Kinds is the larger.
type Kind int

const (
	// OK: every row valid, and for sends every row done. Never the Kind of an *Error.
	OK Kind = iota
	// Rejected: the run finished, but some rows were rejected or failed (see the report).
	Rejected
	// Held: a safety threshold stopped a nightly run before anything was sent.
	Held
	// CannotRun: the run could not start or stopped early (bad options, unreadable input,
	// authentication refused, the organisation busy).
	CannotRun
	// Interrupted: cancelled (Ctrl-C); what was done is recorded.
	Interrupted
)

func (k Kind) String() string {
	switch k {
	case OK:
		return "ok"
	case Rejected:
		return "rejected"
	case Held:
		return "held"
	case CannotRun:
		return "cannot run"
	case Interrupted:
		return "interrupted"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Worse returns the worse of a and b.
func Worse(a, b Kind) Kind { return max(a, b) }

// Error is how a use case says what stopped it, or how it ended when that is not OK.
type Error struct {
	Kind Kind
	Err  error  // printed as "bulk: <err>"; nil when everything has been said already
	Hint string // what to do next
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Kind.String()
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// CannotRunError wraps err as "could not run" with a hint.
func CannotRunError(err error, hint string) *Error {
	return &Error{Kind: CannotRun, Err: err, Hint: hint}
}

func cannotRun(err error, hint string) error { return CannotRunError(err, hint) }

// KindOf classifies any error: an *Error's Kind, CannotRun for others, OK for nil.
func KindOf(err error) Kind {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return CannotRun
}
