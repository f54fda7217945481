package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/app"
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

// exitCodes maps how a use case ended to the exit status: the one place where that is decided.
var exitCodes = map[app.Kind]int{
	app.OK:          ExitOK,
	app.Rejected:    ExitRejected,
	app.Held:        ExitHeld,
	app.CannotRun:   ExitCannotRun,
	app.Interrupted: ExitInterrupted,
}

// ExitError carries an exit status and, optionally, what to tell the user: for what the command
// line itself decides (usage). Use cases say how they ended with an *app.Error.
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

// rowsRejected is how a command whose run finished ends when rows were rejected or failed.
func rowsRejected(rejected bool) error {
	if rejected {
		return &app.Error{Kind: app.Rejected}
	}
	return nil
}

// exitStatus says what the error means to the user and maps it to the exit status.
func exitStatus(ctx context.Context, err error) (code int, msg error, hint string) {
	if err == nil {
		return ExitOK, nil, ""
	}
	var ee *ExitError
	var ae *app.Error
	if ctx.Err() != nil && errors.Is(err, context.Canceled) && (errors.As(err, &ee) && ee.Code == ExitCannotRun || errors.As(err, &ae) && ae.Kind == app.CannotRun) {
		// Stopped by the interruption itself (a header map or a report cut short), not by
		// anything wrong with the command.
		return ExitInterrupted, errors.New("interrupted; what was done is recorded in the report"), ""
	}
	if errors.As(err, &ee) {
		return ee.Code, ee.Err, ee.Hint
	}
	if errors.As(err, &ae) {
		return exitCodes[ae.Kind], ae.Err, ae.Hint
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return ExitInterrupted, errors.New("interrupted; what was done is recorded in the report"), ""
	}
	msgText := err.Error()
	if strings.HasPrefix(msgText, "unknown command") || strings.HasPrefix(msgText, "unknown flag") || strings.Contains(msgText, "flag needs") {
		hint = "Run 'bulk --help' for usage."
	}
	return ExitCannotRun, err, hint
}
