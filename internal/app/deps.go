// Package app holds bulk's use cases: validate, load into OneFile, export, push and load into
// PeopleFluent LMS. Each is a function of (context, Deps, options) that returns a typed outcome
// and an *Error classified by Kind, so the same code serves the command line (cmd/bulk renders
// the outcome and maps the Kind to an exit status), nightly jobs (package nightly) and, later, a
// web app. Deps carries everything a use case needs from the outside world, as the GitHub CLI's
// factory does: streams, environment, clock, HTTP and where state lives.
package app

import (
	"io"
	"os"
	"time"

	"github.com/bulkload/bulk/formats/onefile/ledger"
)

// Deps is what a use case takes from the outside world. The zero value of a field means the
// process's own (os.Getenv, time.Now, ...), so a test or a web handler sets only what differs.
type Deps struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	// StderrIsTerminal decides whether progress bars are drawn.
	StderrIsTerminal bool
	// StdinIsTerminal reports whether someone can answer a question (loading into live). Nil:
	// Stdin is a terminal when it is an *os.File on one.
	StdinIsTerminal func() bool
	// LedgerPath returns where the OneFile run ledger lives when no --state is given. Nil:
	// ledger.DefaultPath with Getenv (statedir.Dir: %LOCALAPPDATA%\bulk on Windows, else
	// $XDG_STATE_HOME/bulk or ~/.local/state/bulk, then ledger.db).
	LedgerPath func() (string, error)
}

// Env returns the value of an environment variable through Getenv (os.Getenv when nil).
func (d *Deps) Env(name string) string {
	if d.Getenv == nil {
		return os.Getenv(name)
	}
	return d.Getenv(name)
}

func (d *Deps) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Deps) stderr() io.Writer {
	if d.Stderr == nil {
		return io.Discard
	}
	return d.Stderr
}

func (d *Deps) ledgerPath() (string, error) {
	if d.LedgerPath != nil {
		return d.LedgerPath()
	}
	return ledger.DefaultPlace(d.Env)
}

// WithEnvAlias returns d with the variable a use case reads its secret from (name) taken from
// another variable (from) instead, when from is not empty: a nightly job file may name the
// variable that holds its token.
func (d Deps) WithEnvAlias(name, from string) Deps {
	if from == "" {
		return d
	}
	get := d.Getenv
	if get == nil {
		get = os.Getenv
	}
	d.Getenv = func(k string) string {
		if k == name {
			return get(from)
		}
		return get(k)
	}
	return d
}
