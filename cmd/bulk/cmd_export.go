package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/coursesxml"
	"github.com/bulkload/bulk/formats/externalcsv"
	"github.com/bulkload/bulk/formats/trainingcsv"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

func init() { register(newExportCmd) }

// payload is one kind's export: a sink for the valid rows and what finishes the file.
type payload interface {
	pipeline.Sink
	// finish completes the payload in w (flushes a CSV, writes the XML document) and says what
	// it holds. rejected tells rows rejected after the sink accepted them.
	finish(w io.Writer, rejected func(*pipeline.Source, int) bool) (rows int64, what string, err error)
	// columns is the payload's header (CSV), or nil.
	columns() []string
	// abort stops what the payload runs (a CSV writer's goroutines) when the export fails
	// before finish.
	abort()
}

// exportKind is how one kind becomes a PeopleFluent payload.
type exportKind struct {
	kind     *pipeline.Kind
	endpoint string // contentHandler/<endpoint>
	ext      string
	start    func(w io.Writer, present func(int) bool) (payload, error)
}

var exportKinds = []exportKind{
	{trainingcsv.Kind, "trainingHistoryCsv", ".csv", func(w io.Writer, present func(int) bool) (payload, error) {
		tw, err := trainingcsv.NewWriter(w, present, trainingcsv.Options{})
		return &csvPayload{Sink: tw, close: tw.Close, rows: tw.Rows, cols: tw.Columns}, err
	}},
	{externalcsv.Kind, "externalTrainingCsv", ".csv", func(w io.Writer, present func(int) bool) (payload, error) {
		ew, err := externalcsv.NewWriter(w, present, externalcsv.Options{})
		return &csvPayload{Sink: ew, close: ew.Close, rows: ew.Rows, cols: ew.Columns}, err
	}},
	{coursesxml.Kind, "courses", ".xml", func(io.Writer, func(int) bool) (payload, error) {
		return &xmlPayload{b: coursesxml.NewBuilder()}, nil
	}},
}

func findExportKind(name string) (*exportKind, error) {
	var names []string
	for i := range exportKinds {
		if exportKinds[i].kind.Name == strings.ToLower(strings.TrimSpace(name)) {
			return &exportKinds[i], nil
		}
		names = append(names, exportKinds[i].kind.Name)
	}
	return nil, fmt.Errorf("%q cannot be exported; the kinds with a payload are %s", name, strings.Join(names, ", "))
}

// csvPayload streams rows into the file while the pipeline runs.
type csvPayload struct {
	pipeline.Sink
	close func() error
	rows  func() int64
	cols  func() []string
}

func (p *csvPayload) columns() []string { return p.cols() }
func (p *csvPayload) abort()            { _ = p.close() }

func (p *csvPayload) finish(io.Writer, func(*pipeline.Source, int) bool) (int64, string, error) {
	if err := p.close(); err != nil {
		return 0, "", err
	}
	n := int64(len(p.cols()))
	return p.rows(), fmt.Sprintf("%s %s of %d %s", thousands(p.rows()), plural(p.rows(), "row", "rows"), n, plural(n, "column", "columns")), nil
}

// xmlPayload collects rows and writes courses.xml at the end.
type xmlPayload struct{ b *coursesxml.Builder }

func (p *xmlPayload) Accept(r *pipeline.Row) error { return p.b.Accept(r) }
func (p *xmlPayload) columns() []string            { return nil }
func (p *xmlPayload) abort()                       {}

func (p *xmlPayload) finish(w io.Writer, rejected func(*pipeline.Source, int) bool) (int64, string, error) {
	n, err := p.b.WriteTo(w, rejected)
	m, s := int64(n.Modules), int64(n.Sessions)
	return int64(n.Rows), fmt.Sprintf("%s %s, %s %s", thousands(m), plural(m, "module", "modules"), thousands(s), plural(s, "session", "sessions")), err
}

// exportSink hands the payload the rows the pipeline accepts. Under --strict it keeps rows with
// warnings out, since the report counts them as rejected (the pipeline hands the sink every row
// without errors). onRow, when set, hears of each row that went into the payload, in order.
type exportSink struct {
	payload payload
	strict  bool
	onRow   func(r *pipeline.Row)
}

func (s *exportSink) Accept(r *pipeline.Row) error {
	if s.strict {
		for i := range r.Problems {
			if r.Problems[i].Severity == pipeline.Warning {
				return nil
			}
		}
	}
	if err := s.payload.Accept(r); err != nil {
		return err
	}
	if s.onRow != nil && !r.HasErrors() {
		s.onRow(r)
	}
	return nil
}

type exportFlags struct {
	checkFlags
	out string
	xsd string
	// onRow, when set, is told of every row written to the payload, in payload order
	// (bulk load peoplefluent uses it to trace the LMS's answers back to input rows).
	onRow func(r *pipeline.Row)
}

func (e *exportFlags) bind(cmd *cobra.Command) {
	e.checkFlags.bind(cmd)
	fs := cmd.Flags()
	fs.StringVarP(&e.out, "out", "o", "", "`FILE` to write the payload to (replaced only when the export finishes)")
	fs.StringVar(&e.xsd, "xsd", "", "courses: check courses.xml against this schema `FILE` (your LMS's courses.xsd) with xmllint")
	_ = fs.MarkHidden("kind") // the kind is the first argument
}

func newExportCmd(a *App) *cobra.Command {
	var e exportFlags
	cmd := &cobra.Command{
		Use:   "export KIND FILE... -o OUT",
		Short: "Check spreadsheets and write the valid rows as a PeopleFluent LMS payload",
		Long: `export reads CSV and XLSX files of one kind, checks every row like 'bulk validate', and writes
the valid rows to OUT in the form a PeopleFluent LMS contentHandler endpoint takes:

  training-history   trainingHistoryCsv payload (CSV)
  external-training  externalTrainingCsv payload (CSV)
  courses            courses.xml (modules and their sessions)

CSV payloads are UTF-8 without a byte-order mark, RFC-4180 quoted, with CRLF line ends; headers are
the vendor's, in its order, for the columns your files have (plus the required ones). Dates, codes
and user IDs are written the way the LMS expects them (see docs/peoplefluent-formats.md).

Rejected rows are left out of the payload and listed in the report (--report DIR) with the reason;
fix them and export again. OUT is written to a temporary file and renamed when the export
finishes, so an interrupted run never leaves half a payload.

` + exitStatusHelp,
		Example: `  bulk export training-history completions.xlsx -o training.csv
  bulk export external-training --report out external.csv -o external-payload.csv
  bulk export courses catalogue.xlsx -o courses.xml --xsd courses.xsd`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(cmd, errors.New("say which kind to export: training-history, external-training or courses"))
			}
			res, err := e.export(cmd.Context(), a, args[0], args[1:])
			if err != nil {
				return err
			}
			if res.counts.Rejected > 0 {
				return &ExitError{Code: ExitRejected}
			}
			return nil
		},
	}
	e.bind(cmd)
	return cmd
}

// exported is the outcome of an export.
type exported struct {
	kind   *exportKind
	out    string
	rows   int64
	counts report.Counts
	rep    *report.Report
}

// export checks the inputs as kind and writes the payload to e.out. It returns an *ExitError for
// what stops it; rejected rows are in the counts, not an error.
func (e *exportFlags) export(ctx context.Context, a *App, kindName string, inputs []string) (*exported, error) {
	ek, err := findExportKind(kindName)
	if err != nil {
		return nil, cannotRun(err, "Run 'bulk export --help' for the kinds and what each writes.")
	}
	if e.kind != "" && !strings.EqualFold(e.kind, ek.kind.Name) {
		return nil, cannotRun(fmt.Errorf("--kind %s contradicts the kind argument %s", e.kind, ek.kind.Name), "Give the kind once, as the first argument.")
	}
	e.kind = ek.kind.Name
	if e.out == "" {
		return nil, cannotRun(errors.New("no output file: give -o FILE"), fmt.Sprintf("For example: bulk export %s %s -o payload%s", ek.kind.Name, strings.Join(inputs, " "), ek.ext))
	}
	if len(inputs) == 0 {
		return nil, cannotRun(errors.New("no input files given"), fmt.Sprintf("Give one or more .csv or .xlsx files after the kind: bulk export %s FILE... -o %s", ek.kind.Name, e.out))
	}
	for _, in := range inputs {
		if samePath(in, e.out) {
			return nil, cannotRun(fmt.Errorf("-o %s is also an input file; the export would overwrite it", e.out), "Write the payload to another file.")
		}
	}
	var xmllint string
	if e.xsd != "" {
		if ek.ext != ".xml" {
			return nil, cannotRun(fmt.Errorf("--xsd applies to courses.xml only, not to %s", ek.kind.Name), "")
		}
		if _, err := os.Stat(e.xsd); err != nil {
			return nil, cannotRun(fmt.Errorf("--xsd: %w", err), "")
		}
		if xmllint, err = exec.LookPath("xmllint"); err != nil {
			return nil, cannotRun(errors.New("--xsd needs the xmllint program, which is not installed"),
				"Install it (Debian/Ubuntu: apt-get install libxml2-utils; Fedora: dnf install libxml2; macOS has it) or leave out --xsd.")
		}
	}
	present, err := e.presentFields(ctx, ek.kind, inputs)
	if err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			return nil, err // openFailed said what to do
		}
		return nil, cannotRun(err, "")
	}
	res := &exported{kind: ek, out: e.out}
	var chk *checked
	werr := report.WriteFile(e.out, 0o644, func(f *os.File) error {
		p, err := ek.start(f, present)
		if err != nil {
			return err
		}
		finished := false
		defer func() {
			if !finished {
				p.abort()
			}
		}()
		sink := &exportSink{payload: p, strict: e.strict, onRow: e.onRow}
		if chk, err = e.check(ctx, a, inputs, sink, []*pipeline.Kind{ek.kind}); err != nil {
			return err
		}
		finished = true
		rows, what, err := p.finish(f, chk.rep.Rejected)
		if err != nil {
			return err
		}
		res.rows = rows
		if xmllint != "" {
			if err := schemaCheck(ctx, xmllint, e.xsd, f.Name(), filepath.Join(e.reportDir, "courses.invalid.xml")); err != nil {
				return err
			}
		}
		info := map[string]any{"kind": ek.kind.Name, "endpoint": "contentHandler/" + ek.endpoint, "file": e.out, "rows": rows, "holds": what}
		if cols := p.columns(); cols != nil {
			info["columns"] = cols
		}
		chk.rep.Set("payload", info)
		if err := chk.rep.Write(); err != nil {
			return cannotRun(err, "Check that the report folder is writable, or choose another with --report.")
		}
		if !e.quiet {
			fmt.Fprintf(a.Stderr, "Wrote %s for contentHandler/%s: %s.\n", e.out, ek.endpoint, what)
		}
		return nil
	})
	if werr != nil {
		var ee *ExitError
		if errors.As(werr, &ee) || ctx.Err() != nil {
			return nil, werr
		}
		return nil, cannotRun(werr, "Check that the output folder exists and is writable.")
	}
	res.counts, res.rep = chk.counts, chk.rep
	if !e.quiet {
		fmt.Fprintln(a.Stderr, summaryLine(chk.rep, e.reportDir))
	}
	return res, nil
}

// presentFields reads only the headers of the inputs and returns which fields of k they have, so
// a CSV payload carries the columns the user gave (its header is written before any row).
func (e *exportFlags) presentFields(ctx context.Context, k *pipeline.Kind, inputs []string) (func(int) bool, error) {
	var aliases pipeline.Aliases
	var err error
	if e.mapFile != "" {
		if aliases, err = pipeline.LoadAliases(ctx, e.mapFile); err != nil {
			return nil, err
		}
	}
	ro := read.Options{Sheet: e.sheet}
	if ro.Delimiter, err = parseDelimiter(e.delimiter); err != nil {
		return nil, err
	}
	has := make([]bool, len(k.Fields))
	for _, path := range inputs {
		in, err := read.Open(path, ro)
		if err != nil {
			return nil, openFailed(err)
		}
		for {
			t, err := in.NextTable()
			if err == io.EOF {
				break
			}
			if err != nil {
				in.Close()
				return nil, err
			}
			m, _, _ := pipeline.MapHeader(k, t.Source(), aliases)
			for f, c := range m.Col {
				has[f] = has[f] || c >= 0
			}
		}
		in.Close()
	}
	return func(f int) bool { return has[f] }, nil
}

// schemaCheck runs xmllint on the written payload. When it fails, the payload is kept in the
// report folder for inspection and nothing is written to -o.
func schemaCheck(ctx context.Context, xmllint, xsd, file, keep string) error {
	out, err := exec.CommandContext(ctx, xmllint, "--noout", "--schema", xsd, file).CombinedOutput()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := strings.TrimSpace(strings.ReplaceAll(string(out), file, "courses.xml"))
	if b, rerr := os.ReadFile(file); rerr == nil && os.MkdirAll(filepath.Dir(keep), 0o755) == nil {
		if os.WriteFile(keep, b, 0o644) == nil {
			msg += "\nThe document is kept as " + keep + " for comparison."
		}
	}
	return cannotRun(fmt.Errorf("courses.xml does not match %s, so it was not written:\n%s", xsd, msg),
		"The layout bulk writes is in docs/peoplefluent-formats.md; if your LMS's schema differs, the layout needs changing (formats/coursesxml/layout.go).")
}

// samePath reports whether a and b name the same file (or would).
func samePath(a, b string) bool {
	if sa, err := os.Stat(a); err == nil {
		if sb, err := os.Stat(b); err == nil {
			return os.SameFile(sa, sb)
		}
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
