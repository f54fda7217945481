package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/bulkload/bulk/pipeline"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/crash"
)

// App carries what commands need from the outside world, so tests build the command with their
// own streams and environment.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// StderrIsTerminal decides whether progress bars are drawn.
	StderrIsTerminal bool
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *App {
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	if f, ok := stderr.(*os.File); ok {
		a.StderrIsTerminal = term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
	}
	return a
}

// deps is what the use cases take from the outside world.
func (a *App) deps() app.Deps {
	return app.Deps{Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr, Getenv: a.Getenv, StderrIsTerminal: a.StderrIsTerminal}
}

const exitStatusHelp = `Exit status:
  0    every row valid (and, for loads, every row done)
  1    the run finished, but some rows were rejected or failed (see the report)
  2    the run could not start or stopped early: bad flags, unreadable file, authentication failed,
       another load into the same OneFile organisation running (nothing was sent)
  3    held: a safety threshold stopped a nightly run before anything was sent
  4    bulk crashed (an internal error): details in the file named on stderr; please report it
  130  interrupted (Ctrl-C); what was done is recorded, a re-run finishes the rest`

func newRoot(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "bulk",
		Short: "Validate spreadsheets of learners, staff and training, and load them into OneFile or PeopleFluent LMS",
		Long: `bulk reads CSV and XLSX files of learners, staff, assignments and training records, checks every
row against the rules of the target system, writes a reject report you can fix and give back, and
loads what is valid into OneFile (API) or PeopleFluent LMS (bulk files).

` + exitStatusHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagError) // exit 2, with the nearest flag suggested
	// Every command, in the order 'bulk --help' lists them (cobra sorts them by name).
	root.AddCommand(
		newValidateCmd(a),
		newLoadCmd(a, newLoadOnefileCmd(a), newLoadPFCmd(a)),
		newApplyCmd(a),
		newExportCmd(a),
		newPushCmd(a, newPushPFCmd(a)),
		newVerifyCmd(a),
		newRunCmd(a),
		newApproveCmd(a),
		newRunsCmd(a),
		newUICmd(a),
		newKindsCmd(a),
		newRulesCmd(a),
		newTemplateCmd(a),
		newSandboxCmd(a, newSandboxOneFileCmd(a), newSandboxPFCmd(a)),
		newProbeCmd(newProbeOnefileCmd(a), newProbePFCmd(a)),
		newPullCmd(a),
		newCompletionCmd(a),
		newVersionCmd(a),
	)
	root.AddCommand(testCommands(a)...)
	suggestSubcommands(root) // "bulk sandbox onefle": exit 2, did you mean onefile
	return root
}

// run executes the command line and maps the outcome to an exit status, in this one place.
func run(args []string, a *App) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first Ctrl-C or SIGTERM, bulk stops as soon as what is under way is
		// recorded; a second one ends it at once, as the signal does by default.
		<-ctx.Done()
		stop()
	}()
	defer func() {
		// A panic in the command's own goroutine; the pipeline's goroutines return theirs as a
		// *pipeline.PanicError, below.
		if v := recover(); v != nil {
			code = crashed(a, args, &pipeline.PanicError{Where: "running the command", Value: v, Stack: debug.Stack()})
		}
	}()
	root := newRoot(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var pe *pipeline.PanicError
	if errors.As(err, &pe) {
		return crashed(a, args, pe)
	}
	code, msg, hint := exitStatus(ctx, err)
	if msg != nil {
		fmt.Fprintf(a.Stderr, "bulk: %v\n", msg)
	}
	if hint != "" {
		fmt.Fprintf(a.Stderr, "%s\n", hint)
	}
	return code
}

// crashed reports a panic (internal/crash) and gives its exit status.
func crashed(a *App, args []string, pe *pipeline.PanicError) int {
	crash.Report(a.Stderr, args, pe)
	return ExitCrashed
}
