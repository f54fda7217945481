package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulkload/bulk/formats/onefile/pull"
	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/internal/suggest"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// InputOptions are the options of every use case that reads and validates input: Validate,
// Export, LoadOnefile, LoadPeopleFluent.
type InputOptions struct {
	Files     []string
	Kind      string // what the input holds; detected from the headers when empty
	Sheet     string // read only this sheet of a workbook
	HeaderRow int    // the row holding every table's header (--header-row); 0: found from the first rows
	// IncludeHidden reads the sheets a workbook hides too (--include-hidden); by default they
	// are passed over with a notice.
	IncludeHidden bool
	MapFile       string // YAML mapping of the user's headers to field names
	ReportDir     string
	Delimiter     string // CSV delimiter: , ; tab or | (sniffed when empty)
	DateOrder     string // dmy (default) or mdy
	Strict        bool   // warnings reject rows too
	Quiet         bool   // print only errors
	Workers       int    // goroutines checking rows (0: one per core)
	// MaxProblems is how many problems the report lists in detail (report.Report.MaxProblems:
	// 0 for report.DefaultMaxProblems, negative for no limit).
	MaxProblems int
	// NoBOM leaves the UTF-8 byte order mark out of the CSV reports (rejects.csv, results.csv,
	// credentials.csv): --csv-bom=false, for scripts. The zero value writes it, for Excel.
	NoBOM bool
	// MaxPart raises the XLSX reader's limits on unzipped parts (--max-part-size; see docs/xlsx.md).
	MaxPart read.PartSize

	// settings are the target's settings the kinds' rules read (pipeline.Options.Settings): a
	// OneFile load's role rules from its target profile. nil: the kinds' defaults.
	settings any

	// Keep, when set, decides which valid rows go on to the target; the pipeline reports the
	// others skipped (a nightly run's diffing: unchanged since the last good run).
	Keep func(*pipeline.Row) bool
	// Gate, when set, is asked once every row has been validated and before anything is sent
	// or any payload is written: an error stops the use case there, its report written (a
	// nightly run that its thresholds hold). It may add fields to the report. Its error should
	// be an *Error (Kind Held for a held run).
	Gate func(*report.Report) error
	// Observe, when set, is told every table, row (with its outcome) and late problem beside
	// the report, in input order (a nightly run's diffing notes the rows --strict rejected).
	Observe pipeline.Reporter
	// Finish, when set, may add fields to the report just before it is written, once, at the
	// end of the use case (a nightly run's diff counts and run ID).
	Finish func(*report.Report)
}

// fieldCheck checks a --map file's targets against the fields of kind, or of every kind among
// when no kind is given.
func fieldCheck(kind *pipeline.Kind, among []*pipeline.Kind) pipeline.FieldCheck {
	kinds := among
	if kind != nil {
		kinds = []*pipeline.Kind{kind}
	}
	return func(field string) (bool, string) {
		var names []string
		for _, k := range kinds {
			if k.Lookup(field) >= 0 {
				return true, ""
			}
			for _, f := range k.Fields {
				names = append(names, f.Name)
			}
		}
		if near := suggest.Nearest(field, names); len(near) > 0 {
			return false, near[0]
		}
		return false, ""
	}
}

// headerOptions tells the reader where the header is: the row asked for (--header-row, else the
// map's header_row), or else the first row of a table's first ones that names the most fields
// of the kind asked for or of any kind.
func headerOptions(ro *read.Options, row int, opts pipeline.Options) error {
	if row < 0 || row > pipeline.MaxHeaderRow {
		return cannotRun(fmt.Errorf("--header-row %d is not a row of a spreadsheet", row), "Give the number of the row that holds your column names, as your spreadsheet program shows it (1 for the first).")
	}
	if row == 0 {
		row = opts.Aliases.HeaderRow()
	}
	ro.HeaderRow = row
	if row > 0 {
		return nil
	}
	kinds := opts.Among
	if opts.Kind != nil {
		kinds = []*pipeline.Kind{opts.Kind}
	}
	aliases := opts.Aliases
	ro.HeaderScore = func(cells []string) int { return pipeline.HeaderScore(cells, aliases, kinds) }
	return nil
}

// check opens the inputs and streams them through the pipeline into a new report and sink (and
// tee, when set: told every table, row and late problem beside the report). The
// report is not written: the use case writes it once, at its end (writeReport). An interrupted
// run returns the report of what was read with the context's error.
func (d *Deps) check(ctx context.Context, o *InputOptions, sink pipeline.Sink, among []*pipeline.Kind, tee pipeline.Reporter) (*report.Report, error) {
	if len(o.Files) == 0 {
		return nil, cannotRun(errors.New("no input files given"), "Give one or more .csv or .xlsx files, e.g. 'bulk validate samples/term-start.xlsx'.")
	}
	if among == nil {
		among = catalog.Kinds()
	}
	opts := pipeline.Options{Among: among, Sink: sink, Keep: o.Keep, Workers: o.Workers, Strict: o.Strict, Settings: o.settings}
	var err error
	if o.Kind != "" {
		if opts.Kind, err = KindByName(o.Kind); err != nil {
			return nil, err // KindByName suggests the nearest kind
		}
	}
	if opts.MonthFirst, err = monthFirst(o.DateOrder); err != nil {
		return nil, err
	}
	if o.MapFile != "" {
		if opts.Aliases, err = pipeline.LoadAliases(ctx, o.MapFile, fieldCheck(opts.Kind, among)); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	ro := read.Options{Sheet: o.Sheet, Context: ctx, IncludeHidden: o.IncludeHidden}
	if err := headerOptions(&ro, o.HeaderRow, opts); err != nil {
		return nil, err
	}
	o.MaxPart.Apply(&ro)
	if ro.Delimiter, err = ParseDelimiter(o.Delimiter); err != nil {
		return nil, cannotRun(err, "")
	}
	d.warnOpenFolder(o.ReportDir)
	rep := report.New(o.ReportDir, o.Strict)
	rep.MaxProblems = o.MaxProblems
	rep.NoBOM = o.NoBOM
	rep.MonthFirst = opts.MonthFirst
	rep.SetReadOptions(ro) // rejects.xlsx re-reads the inputs as this run read them
	var inputs []pipeline.Input
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	stderr := d.stderr()
	var skipped []string             // tables not read, for summary.json
	fileNames := read.Names(o.Files) // two learners.csv in different folders are told apart
	replaced, err := corrections(o.Files, fileNames, ro)
	if err != nil {
		return nil, openFailed(err)
	}
	if replaced != nil {
		opts.Replaced = replaced.has
	}
	for fi, path := range o.Files {
		one := ro
		one.Name = fileNames[fi]
		in, err := read.Open(path, one)
		if err != nil {
			return nil, openFailed(err)
		}
		inputs = append(inputs, in)
		rep.AddInput(path)
		if t, ok := in.(interface{ Template() bool }); ok && t.Template() {
			// A bulk template hides only its own drop-down lists: noted, not announced.
			if h, ok := in.(interface{ HiddenSheets() []string }); ok {
				for _, n := range h.HiddenSheets() {
					skipped = append(skipped, fmt.Sprintf("%s, sheet %s: not read, the drop-down lists of a bulk template", fileNames[fi], n))
				}
			}
		} else if h, ok := in.(interface{ HiddenSheets() []string }); ok && len(h.HiddenSheets()) > 0 {
			names := make([]string, len(h.HiddenSheets()))
			for i, n := range h.HiddenSheets() {
				names[i] = fmt.Sprintf("%q", n)
				skipped = append(skipped, fmt.Sprintf("%s, sheet %s: skipped, hidden in Excel", fileNames[fi], n))
			}
			if !o.Quiet {
				fmt.Fprintf(stderr, "%s: not read, because Excel hides them: sheet %s (--include-hidden reads hidden sheets; --sheet NAME reads one).\n",
					path, strings.Join(names, ", sheet "))
			}
		}
		if o.Sheet != "" && !read.HasSheets(path) && !o.Quiet {
			// Not an error: a job may pass the same flags for a mix of CSV and XLSX inputs.
			fmt.Fprintf(stderr, "bulk: --sheet %s is ignored for %s: a CSV file has no sheets.\n", o.Sheet, path)
		}
	}
	opts.Reporter = rep
	if tee != nil || o.Observe != nil {
		t := teeReporter{rep}
		for _, r := range []pipeline.Reporter{tee, o.Observe} {
			if r != nil {
				t = append(t, r)
			}
		}
		opts.Reporter = t
	}
	opts.Skipped = func(src *pipeline.Source, why string) {
		if own := ownSheet(src); own != "" {
			// bulk's own notes (a template's Read me, rejects.xlsx's Warnings) are never data:
			// noted in the summary, not worth a line on the terminal.
			skipped = append(skipped, fmt.Sprintf("%s: not read, %s", src.Where(), own))
			return
		}
		skipped = append(skipped, fmt.Sprintf("%s: skipped, %s", src.Where(), why))
		if !o.Quiet {
			// With --kind already given, "use --kind" would send the user round in a circle.
			hint := "Use --kind to say what it holds."
			if o.Kind != "" {
				hint = "If it holds " + o.Kind + " rows, check its header row; to read one sheet only, use --sheet NAME."
			}
			fmt.Fprintf(stderr, "%s: skipped: %s. %s\n", src.Where(), why, hint)
		}
	}
	opts.Chosen = func(src *pipeline.Source, k *pipeline.Kind, detected bool) {
		if o.Quiet {
			return
		}
		if detected {
			fmt.Fprintf(stderr, "%s: read as %s (detected from the headers; use --kind to choose).\n", src.Where(), k.Name)
		}
		if src.Above > 0 {
			above := fmt.Sprintf("the %d rows above it are", src.Above)
			if src.Above == 1 {
				above = "the row above it is"
			}
			fmt.Fprintf(stderr, "%s: header on row %d; %s not data (use --header-row N to choose another row).\n", src.Where(), src.HeaderRow, above)
		}
	}
	prog := newProgress(d, o.Quiet)
	opts.Progress = prog.rows
	err = pipeline.Run(ctx, inputs, opts)
	prog.finish()
	if replaced != nil {
		replaced.report(stderr, o.Quiet, rep)
	}
	if errors.Is(err, pipeline.ErrNoKind) {
		return nil, cannotRun(fmt.Errorf("%s: %v", strings.Join(o.Files, ", "), err), "Say what the file holds with --kind (run 'bulk kinds' for the list), or map your headers with --map.")
	}
	if err != nil && ctx.Err() == nil {
		return nil, cannotRun(err, "")
	}
	if len(skipped) > 0 {
		rep.Set("skipped", skipped)
	}
	if o.Keep != nil {
		rep.Set("skipped_unchanged", rep.Counts().Skipped)
	}
	return rep, err
}

// writeReport writes the run's report, once, at the end of a use case: o.Finish adds its fields
// first. err is the use case's error so far; the report's own failure is returned only when
// there was none.
func (o *InputOptions) writeReport(rep *report.Report, err error) error {
	if o.Finish != nil {
		o.Finish(rep)
	}
	if werr := rep.Write(); werr != nil && err == nil {
		return cannotRun(werr, "Check that the report folder is writable, or choose another with --report.")
	}
	return err
}

// gate asks o.Gate, when set, whether the use case may go on to send.
func (o *InputOptions) gate(rep *report.Report) error {
	if o.Gate == nil {
		return nil
	}
	return o.Gate(rep)
}

func monthFirst(order string) (bool, error) {
	switch strings.ToLower(order) {
	case "dmy", "":
		return false, nil
	case "mdy":
		return true, nil
	}
	return false, cannotRun(fmt.Errorf("--date-order %q: use dmy or mdy", order), "")
}

// openFailed is the error for an input read.Open refused, with what to do next: a file not
// found, or a --sheet the workbook does not have (the nearest of its sheets suggested).
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
		if s := suggest.Nearest(se.Sheet, se.Sheets); len(s) > 0 {
			hint = fmt.Sprintf("Did you mean --sheet %q?\n%s", s[0], hint)
		}
	}
	return cannotRun(err, hint)
}

// ParseDelimiter reads --delimiter: one character, or the word tab; "" means sniff it.
func ParseDelimiter(s string) (rune, error) {
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

// KindByName finds the kind a name (--kind, a job file's kind:) names, or says which were meant.
func KindByName(name string) (*pipeline.Kind, error) {
	k, err := catalog.KindByName(name)
	if err == nil {
		return k, nil
	}
	var names []string
	for _, k := range catalog.Kinds() {
		names = append(names, k.Name)
	}
	hint := "Run 'bulk kinds' to see them."
	s := suggest.Nearest(name, names)
	if len(s) == 0 {
		// "learners", "history", "courses": a word of the kind's name or its sheet hints.
		word := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "s"))
		for _, k := range catalog.Kinds() {
			hit := word != "" && strings.Contains(k.Name, word)
			for _, h := range k.SheetHints {
				hit = hit || (word != "" && strings.HasPrefix(h, word))
			}
			if hit {
				s = append(s, k.Name)
			}
		}
	}
	if len(s) > 0 {
		hint = fmt.Sprintf("Did you mean %s? %s", strings.Join(s, " or "), hint)
	}
	return nil, cannotRun(err, hint)
}

// teeReporter tells several reporters the same things, in order, the report first.
type teeReporter []pipeline.Reporter

func (t teeReporter) Table(src *pipeline.Source, k *pipeline.Kind, ps []pipeline.Problem) {
	for _, r := range t {
		r.Table(src, k, ps)
	}
}

func (t teeReporter) Row(row *pipeline.Row, out pipeline.Outcome) {
	for _, r := range t {
		r.Row(row, out)
	}
}

func (t teeReporter) Problem(p pipeline.Problem) {
	for _, r := range t {
		r.Problem(p)
	}
}

// ownSheet says which of bulk's own sheets src is ("the template's Read me sheet", ...), or ""
// for a sheet of the user's.
func ownSheet(src *pipeline.Source) string {
	switch {
	case report.IsWarningsSheet(src):
		return "the Warnings sheet bulk wrote in rejects.xlsx"
	case src.Sheet == template.ReadMeSheet && len(src.Header) > 0 && strings.HasPrefix(src.Header[0], template.ReadMeTitle):
		return "the Read me sheet of a bulk template"
	case src.Sheet == template.ListsSheet && len(src.Header) > 0 && strings.HasPrefix(src.Header[0], template.ListsHeading):
		return "the drop-down lists of a bulk template"
	case pull.IsReference(src) != "":
		return pull.IsReference(src)
	}
	return ""
}

// BOMFlag is the --csv-bom flag (a pflag.Value): true by default, it sets the NoBOM option it
// points at to its negation, so that options built without the flag (jobs, tests) write the
// byte order mark too.
type BOMFlag struct{ NoBOM *bool }

func (f BOMFlag) String() string {
	if f.NoBOM == nil {
		return "true"
	}
	return strconv.FormatBool(!*f.NoBOM)
}

// Set takes what strconv.ParseBool takes: true, false, 1, 0, ...
func (f BOMFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("--csv-bom %q: give true or false", s)
	}
	*f.NoBOM = !v
	return nil
}

// Type is "bool", so that a bare --csv-bom is true (with NoOptDefVal) and help shows no value.
func (BOMFlag) Type() string { return "bool" }

// BOMFlagUsage is --csv-bom's help line.
const BOMFlagUsage = "start CSV reports with a UTF-8 byte order mark, so Excel shows accents and non-Latin names right (false for scripts)"
