package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
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

// commands are added by each cmd_*.go file's init, so a new command touches one file.
var commands []func(*App) *cobra.Command

func register(f func(*App) *cobra.Command) { commands = append(commands, f) }

const exitStatusHelp = `Exit status:
  0    every row valid (and, for loads, every row done)
  1    the run finished, but some rows were rejected or failed (see the report)
  2    the run could not start or stopped early: bad flags, unreadable file, authentication failed,
       another load into the same OneFile organisation running (nothing was sent)
  3    held: a safety threshold stopped a nightly run before anything was sent
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
	for _, f := range commands {
		root.AddCommand(f(a))
	}
	suggestSubcommands(root) // "bulk sandbox onefle": exit 2, did you mean onefile
	return root
}

// run executes the command line and maps the outcome to an exit status, in this one place.
func run(args []string, a *App) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(a.Stderr, "bulk: %v\n", ee.Err)
		}
		if ee.Hint != "" {
			fmt.Fprintf(a.Stderr, "%s\n", ee.Hint)
		}
		return ee.Code
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		fmt.Fprintln(a.Stderr, "bulk: interrupted; what was done is recorded in the report")
		return ExitInterrupted
	}
	msg := err.Error()
	fmt.Fprintf(a.Stderr, "bulk: %s\n", msg)
	if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") || strings.Contains(msg, "flag needs") {
		fmt.Fprintln(a.Stderr, "Run 'bulk --help' for usage.")
	}
	return ExitCannotRun
}
