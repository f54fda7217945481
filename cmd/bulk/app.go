package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bulkload/bulk/internal/app"
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
		newExportCmd(a),
		newPushCmd(a, newPushPFCmd(a)),
		newRunCmd(a),
		newApproveCmd(a),
		newRunsCmd(a),
		newKindsCmd(a),
		newRulesCmd(a),
		newTemplateCmd(a),
		newSandboxCmd(a, newSandboxOneFileCmd(a), newSandboxPFCmd(a)),
		newCompletionCmd(a),
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

// crashed reports a panic: one line on stderr, and the details in a new private file in the
// temporary folder, never on stdout (which a script may be reading). The file holds where bulk
// was, its stack and its version; the panic's value only when it is one of Go's own runtime
// errors, whose text is the runtime's: any other value may carry data (a cell, a URL), and the
// stack says where it came from anyway. Nor are the arguments written, only the command's name.
func crashed(a *App, args []string, pe *pipeline.PanicError) int {
	var b strings.Builder
	fmt.Fprintf(&b, "bulk crashed: an internal error (a panic) while %s.\n", pe.Where)
	fmt.Fprintf(&b, "time: %s\n", time.Now().UTC().Format(time.RFC3339))
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(&b, "command: bulk %s\n", args[0])
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(&b, "version: %s", bi.Main.Version)
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(&b, " %s=%s", s.Key, s.Value)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if re, ok := pe.Value.(runtime.Error); ok {
		fmt.Fprintf(&b, "panic: %s\n", re.Error())
	} else {
		fmt.Fprintf(&b, "panic: a value of type %T (not written: it may hold data)\n", pe.Value)
	}
	fmt.Fprintf(&b, "\n%s", pe.Stack)
	path, err := writeCrashFile(b.String())
	if err != nil {
		// Nowhere private to put it: the stack (function names and addresses, no data) goes to
		// stderr rather than being lost.
		fmt.Fprintf(a.Stderr, "bulk crashed: an internal error; its details could not be saved (%v), so they follow — please report it\n%s", err, b.String())
		return ExitCrashed
	}
	fmt.Fprintf(a.Stderr, "bulk crashed: an internal error; details in %s — please report it\n", path)
	return ExitCrashed
}

// writeCrashFile writes text to a new file in the temporary folder, readable by its owner only.
func writeCrashFile(text string) (string, error) {
	f, err := os.CreateTemp("", "bulk-crash-*.txt") // mode 0600
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
