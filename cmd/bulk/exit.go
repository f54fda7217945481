package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Exit statuses, documented in exitStatusHelp and the README. Never renumber them: cron jobs and
// scripts branch on them.
const (
	ExitOK          = 0
	ExitRejected    = 1 // the run finished with rejected or failed rows
	ExitCannotRun   = 2 // bad flags, unreadable input, authentication failure
	ExitHeld        = 3 // a safety threshold held a nightly run
	ExitCrashed     = 4 // a bug in bulk (a panic): details in a crash file, see crashed
	ExitInterrupted = 130
)

// ExitError carries an exit status and, optionally, what to tell the user.
type ExitError struct {
	Code int
	Err  error  // printed as "bulk: <err>"; nil when the command already said everything
	Hint string // what to do next
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// cannotRun wraps err as "could not run" (exit 2) with a hint.
func cannotRun(err error, hint string) error {
	return &ExitError{Code: ExitCannotRun, Err: err, Hint: hint}
}

func usageError(c *cobra.Command, err error) error {
	return &ExitError{Code: ExitCannotRun, Err: err, Hint: fmt.Sprintf("Run '%s --help' for usage.", c.CommandPath())}
}
