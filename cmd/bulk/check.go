package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// checkFlags are the flags of every command that reads and validates input: validate, export, load.
type checkFlags struct {
	kind      string
	sheet     string
	mapFile   string
	reportDir string
	delimiter string
	dateOrder string
	strict    bool
	quiet     bool
	workers   int
	maxPart   read.PartSize
	// tee, when set, is told about every table, row and late problem beside the report (a
	// loader keeps every row's place for its results file).
	tee pipeline.Reporter

	// keep, when set, decides which valid rows go on to the sink; the pipeline reports the
	// others skipped (nightly diffing: unchanged since the last good run). Not a flag.
	keep func(*pipeline.Row) bool
}

func (c *checkFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&c.kind, "kind", "", "what the input holds (see 'bulk kinds'); detected from the headers when not given")
	fs.StringVar(&c.sheet, "sheet", "", "read only this sheet of a workbook (a CSV file is read whole)")
	fs.StringVar(&c.mapFile, "map", "", "YAML `FILE` mapping your headers to field names (Learner Forename: FirstName)")
	fs.StringVar(&c.reportDir, "report", "bulk-report", "`DIR` for rejects.csv, rejects.xlsx and summary.json (created if absent)")
	fs.StringVar(&c.delimiter, "delimiter", "", "CSV delimiter: , ; tab or | (sniffed when not given)")
	fs.StringVar(&c.dateOrder, "date-order", "dmy", "how to read dates like 03/04/2026: dmy (UK) or mdy")
	fs.BoolVar(&c.strict, "strict", false, "warnings reject rows too")
	cmd.RegisterFlagCompletionFunc("kind", completeKindFlag)
	fs.BoolVarP(&c.quiet, "quiet", "q", false, "print only errors")
	fs.IntVar(&c.workers, "workers", 0, "goroutines checking rows (default: one per core)")
	fs.Var(&c.maxPart, "max-part-size", "the most a workbook's sheet may expand to when unzipped, e.g. 4GiB (default 1GiB; also lifts the compression check; see docs/xlsx.md)")
}

// checked is the outcome of reading and validating the inputs.
type checked struct {
	rep    *report.Report
	counts report.Counts
}

// check opens the inputs, streams them through the pipeline into rep and sink, and writes the
// report. It returns an *ExitError for anything that stops the run.
func (c *checkFlags) check(ctx context.Context, a *App, args []string, sink pipeline.Sink, among []*pipeline.Kind) (*checked, error) {
	if len(args) == 0 {
		return nil, cannotRun(errors.New("no input files given"), "Give one or more .csv or .xlsx files, e.g. 'bulk validate samples/term-start.xlsx'.")
	}
	opts := pipeline.Options{Among: among, Sink: sink, Keep: c.keep, Workers: c.workers}
	var err error
	if c.kind != "" {
		if opts.Kind, err = kindArg(c.kind); err != nil {
			return nil, err // kindArg suggests the nearest kind
		}
	}
	switch strings.ToLower(c.dateOrder) {
	case "dmy", "":
	case "mdy":
		opts.MonthFirst = true
	default:
		return nil, cannotRun(fmt.Errorf("--date-order %q: use dmy or mdy", c.dateOrder), "")
	}
	if c.mapFile != "" {
		if opts.Aliases, err = pipeline.LoadAliases(c.mapFile); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	ro := read.Options{Sheet: c.sheet}
	c.maxPart.Apply(&ro)
	if ro.Delimiter, err = parseDelimiter(c.delimiter); err != nil {
		return nil, cannotRun(err, "")
	}
	rep := report.New(c.reportDir, c.strict)
	rep.SetReadOptions(ro) // rejects.xlsx re-reads the inputs as this run read them
	var inputs []pipeline.Input
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	for _, path := range args {
		in, err := read.Open(path, ro)
		if err != nil {
			return nil, openFailed(err)
		}
		inputs = append(inputs, in)
		rep.AddInput(path)
		if c.sheet != "" && !read.HasSheets(path) && !c.quiet {
			// Not an error: a job may pass the same flags for a mix of CSV and XLSX inputs.
			fmt.Fprintf(a.Stderr, "bulk: --sheet %s is ignored for %s: a CSV file has no sheets.\n", c.sheet, path)
		}
	}
	opts.Reporter = rep
	if c.tee != nil {
		opts.Reporter = teeReporter{rep, c.tee}
	}
	var skipped []string
	opts.Skipped = func(src *pipeline.Source, why string) {
		skipped = append(skipped, fmt.Sprintf("%s: skipped, %s", src.Where(), why))
		if !c.quiet {
			// With --kind already given, "use --kind" would send the user round in a circle.
			hint := "Use --kind to say what it holds."
			if c.kind != "" {
				hint = "If it holds " + c.kind + " rows, check its header row; to read one sheet only, use --sheet NAME."
			}
			fmt.Fprintf(a.Stderr, "%s: skipped: %s. %s\n", src.Where(), why, hint)
		}
	}
	opts.Chosen = func(src *pipeline.Source, k *pipeline.Kind, detected bool) {
		if detected && !c.quiet {
			fmt.Fprintf(a.Stderr, "%s: read as %s (detected from the headers; use --kind to choose).\n", src.Where(), k.Name)
		}
	}
	prog := newProgress(a, c.quiet)
	opts.Progress = prog.rows
	err = pipeline.Run(ctx, inputs, opts)
	prog.finish()
	if errors.Is(err, pipeline.ErrNoKind) {
		return nil, cannotRun(fmt.Errorf("%s: %v", strings.Join(args, ", "), err), "Say what the file holds with --kind (run 'bulk kinds' for the list), or map your headers with --map.")
	}
	if err != nil && ctx.Err() == nil {
		return nil, cannotRun(err, "")
	}
	if len(skipped) > 0 {
		rep.Set("skipped", skipped)
	}
	if c.keep != nil {
		rep.Set("skipped_unchanged", rep.Counts().Skipped)
	}
	if werr := rep.Write(); werr != nil {
		return nil, cannotRun(werr, "Check that the report folder is writable, or choose another with --report.")
	}
	if err != nil {
		return nil, err // interrupted: the report of what was read is written
	}
	return &checked{rep: rep, counts: rep.Counts()}, nil
}

// openFailed is the exit-2 error for an input read.Open refused, with what to do next: a file
// not found, or a --sheet the workbook does not have (the nearest of its sheets suggested).
func openFailed(err error) error {
	hint := ""
	var se *read.SheetError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint = "Check the file's name and folder: give its full path, or run bulk from the folder that holds it."
	case errors.As(err, &se) && len(se.Alike) > 1:
		hint = fmt.Sprintf("Give --sheet %q or --sheet %q, with the capitals as the workbook has them.", se.Alike[0], se.Alike[1])
	case errors.As(err, &se):
		hint = "Give --sheet one of the names above, or leave it out to read every sheet."
		if s := suggest(se.Sheet, se.Sheets); len(s) > 0 {
			hint = fmt.Sprintf("Did you mean --sheet %q?\n%s", s[0], hint)
		}
	}
	return cannotRun(err, hint)
}

func parseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "tab", "\\t", "\t":
		return '\t', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || strings.ContainsRune("\"\r\n", r) {
		return 0, fmt.Errorf("--delimiter %q: give one character such as , ; | or the word tab", s)
	}
	return r, nil
}

// summaryLine is the one line a run ends with.
func summaryLine(rep *report.Report, dir string) string {
	c := rep.Counts()
	return fmt.Sprintf("%s %s: %s valid, %s rejected, %s %s. Report: %s",
		thousands(c.Read), plural(c.Read, "row", "rows"), thousands(c.Valid), thousands(c.Rejected),
		thousands(c.Warnings), plural(c.Warnings, "warning", "warnings"), rejectsFile(rep, dir))
}

// rejectsFile is the file of rejects to fix: the workbook when the report wrote one (it may be
// rejects-2.xlsx), else rejects.csv.
func rejectsFile(rep *report.Report, dir string) string {
	if file := rep.RejectsXLSX(); file != "" {
		return file
	}
	return filepath.Join(dir, "rejects.csv")
}

// nothingChanged is what a loader says when every valid row was held back as unchanged since
// the last run (a nightly run's diffing), so there is nothing to send: "Nothing to push: all 3
// valid rows are unchanged since the last run." With rejected rows too, it says so and where to
// fix them. It returns "" when some valid row was not held back, or there was none.
func nothingChanged(verb string, c report.Counts, rejects string) string {
	if c.Valid == 0 || c.Skipped != c.Valid {
		return ""
	}
	rows := fmt.Sprintf("all %s valid rows are", thousands(c.Valid))
	if c.Valid == 1 {
		rows = "the 1 valid row is"
	}
	if c.Rejected == 0 {
		return fmt.Sprintf("Nothing to %s: %s unchanged since the last run.", verb, rows)
	}
	rows = strings.Replace(rows, "all ", "the other ", 1)
	if c.Valid == 1 {
		rows = "the other valid row is"
	}
	return fmt.Sprintf("Nothing to %s: %s %s rejected and %s unchanged since the last run. Fix the rejected rows in %s and load again.",
		verb, thousands(c.Rejected), plural(c.Rejected, "row was", "rows were"), rows, rejects)
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// thousands formats n with commas, as a data officer reads counts: 10,482.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
