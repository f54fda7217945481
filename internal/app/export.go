package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bulkload/bulk/formats/coursesxml"
	"github.com/bulkload/bulk/formats/externalcsv"
	"github.com/bulkload/bulk/formats/trainingcsv"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

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

// ExportKind is how one kind becomes a PeopleFluent payload.
type ExportKind struct {
	Kind     *pipeline.Kind
	Endpoint string // contentHandler/<endpoint>
	Ext      string
	start    func(w io.Writer, present func(int) bool, o *ExportOptions) (payload, error)
}

var exportKinds = []ExportKind{
	{trainingcsv.Kind, "trainingHistoryCsv", ".csv", func(w io.Writer, present func(int) bool, o *ExportOptions) (payload, error) {
		tw, err := trainingcsv.NewWriter(w, present, trainingcsv.Options{MonthNames: o.MonthNames})
		return &csvPayload{Sink: tw, close: tw.Close, rows: tw.Rows, cols: tw.Columns}, err
	}},
	{externalcsv.Kind, "externalTrainingCsv", ".csv", func(w io.Writer, present func(int) bool, _ *ExportOptions) (payload, error) {
		ew, err := externalcsv.NewWriter(w, present, externalcsv.Options{})
		return &csvPayload{Sink: ew, close: ew.Close, rows: ew.Rows, cols: ew.Columns}, err
	}},
	{coursesxml.Kind, "courses", ".xml", func(io.Writer, func(int) bool, *ExportOptions) (payload, error) {
		return &xmlPayload{b: coursesxml.NewBuilder()}, nil
	}},
}

// ExportKinds are the kinds with a payload, and how each is exported.
func ExportKinds() []ExportKind { return exportKinds }

// FindExportKind returns how the kind called name is exported, or an error naming those that are.
func FindExportKind(name string) (*ExportKind, error) {
	var names []string
	for i := range exportKinds {
		if exportKinds[i].Kind.Name == strings.ToLower(strings.TrimSpace(name)) {
			return &exportKinds[i], nil
		}
		names = append(names, exportKinds[i].Kind.Name)
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
	return p.rows(), fmt.Sprintf("%s %s of %d %s", Thousands(p.rows()), Plural(p.rows(), "row", "rows"), n, Plural(n, "column", "columns")), nil
}

// xmlPayload collects rows and writes courses.xml at the end.
type xmlPayload struct{ b *coursesxml.Builder }

func (p *xmlPayload) Accept(r *pipeline.Row) error { return p.b.Accept(r) }
func (p *xmlPayload) columns() []string            { return nil }
func (p *xmlPayload) abort()                       {}

func (p *xmlPayload) finish(w io.Writer, rejected func(*pipeline.Source, int) bool) (int64, string, error) {
	n, err := p.b.WriteTo(w, rejected)
	m, s := int64(n.Modules), int64(n.Sessions)
	return int64(n.Rows), fmt.Sprintf("%s %s, %s %s", Thousands(m), Plural(m, "module", "modules"), Thousands(s), Plural(s, "session", "sessions")), err
}

// exportSink hands the payload the rows the pipeline accepts (--strict has been applied by the
// pipeline). onRow, when set, hears of each row that went into the payload, in order.
type exportSink struct {
	payload payload
	onRow   func(r *pipeline.Row)
	vet     func(r *pipeline.Row) // a last check against the target (--check-users); its errors keep the row out
}

func (s *exportSink) Accept(r *pipeline.Row) error {
	if s.vet != nil {
		if s.vet(r); r.HasErrors() {
			return nil // rejected: the pipeline sees the row's errors
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

// ExportOptions are the options of Export.
type ExportOptions struct {
	InputOptions
	KindName string // the kind to export (bulk export KIND)
	Out      string // the payload file, replaced only when the export finishes
	XSD      string // courses: check courses.xml against this schema with xmllint
	// MonthNames writes training-history dates as 05-Sep-2026 09:00 instead of the all-numeric
	// 05-09-2026 09:00, for an LMS whose date parser wants month names.
	MonthNames bool

	// onRow, when set, is told of every row written to the payload, in payload order
	// (LoadPeopleFluent traces the LMS's answers back to input rows with it).
	onRow func(r *pipeline.Row)
	// noWrite leaves the report to the caller: LoadPeopleFluent writes it once, after the push.
	noWrite bool
	// vet, when set, checks each valid row against the target before it goes into the payload
	// (LoadPeopleFluent's --check-users); a row it gives an error is rejected.
	vet func(r *pipeline.Row)
}

// ExportOutcome is what Export wrote.
type ExportOutcome struct {
	Checked
	Kind *ExportKind
	Out  string
	Rows int64  // rows in the payload
	What string // what the payload holds, in words: "3 rows of 7 columns"
}

// Export checks the inputs as one kind and writes the valid rows to o.Out as the payload of
// the PeopleFluent contentHandler endpoint that takes them. Rejected rows are in the outcome's
// counts, not an error.
func Export(ctx context.Context, d Deps, o ExportOptions) (*ExportOutcome, error) {
	ek, err := FindExportKind(o.KindName)
	if err != nil {
		return nil, cannotRun(err, "Run 'bulk export --help' for the kinds and what each writes.")
	}
	if o.Kind != "" && !strings.EqualFold(o.Kind, ek.Kind.Name) {
		return nil, cannotRun(fmt.Errorf("--kind %s contradicts the kind argument %s", o.Kind, ek.Kind.Name), "Give the kind once, as the first argument.")
	}
	o.Kind = ek.Kind.Name
	if o.Out == "" {
		return nil, cannotRun(errors.New("no output file: give -o FILE"), fmt.Sprintf("For example: bulk export %s %s -o payload%s", ek.Kind.Name, strings.Join(o.Files, " "), ek.Ext))
	}
	if len(o.Files) == 0 {
		return nil, cannotRun(errors.New("no input files given"), fmt.Sprintf("Give one or more .csv or .xlsx files after the kind: bulk export %s FILE... -o %s", ek.Kind.Name, o.Out))
	}
	for _, in := range o.Files {
		if samePath(in, o.Out) {
			return nil, cannotRun(fmt.Errorf("-o %s is also an input file; the export would overwrite it", o.Out), "Write the payload to another file.")
		}
	}
	var xmllint string
	if o.XSD != "" {
		if ek.Ext != ".xml" {
			return nil, cannotRun(fmt.Errorf("--xsd applies to courses.xml only, not to %s", ek.Kind.Name), "")
		}
		if _, err := os.Stat(o.XSD); err != nil {
			return nil, cannotRun(fmt.Errorf("--xsd: %w", err), "")
		}
		if xmllint, err = exec.LookPath("xmllint"); err != nil {
			return nil, cannotRun(errors.New("--xsd needs the xmllint program, which is not installed"),
				"Install it (Debian/Ubuntu: apt-get install libxml2-utils; Fedora: dnf install libxml2; macOS has it) or leave out --xsd.")
		}
	}
	present, err := o.presentFields(ctx, ek.Kind)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return nil, err // openFailed said what to do
		}
		return nil, cannotRun(err, "")
	}
	res := &ExportOutcome{Kind: ek, Out: o.Out, Checked: Checked{ReportDir: o.ReportDir}}
	werr := report.WriteFile(o.Out, 0o644, func(f *os.File) error {
		p, err := ek.start(f, present, &o)
		if err != nil {
			return err
		}
		finished := false
		defer func() {
			if !finished {
				p.abort()
			}
		}()
		sink := &exportSink{payload: p, onRow: o.onRow, vet: o.vet}
		rep, err := d.check(ctx, &o.InputOptions, sink, []*pipeline.Kind{ek.Kind}, nil)
		res.Report = rep
		if err == nil {
			err = o.gate(rep)
		}
		if err != nil {
			return err
		}
		finished = true
		rows, what, err := p.finish(f, rep.Rejected)
		if err != nil {
			return err
		}
		res.Rows, res.What = rows, what
		if xmllint != "" {
			if err := schemaCheck(ctx, xmllint, o.XSD, f.Name(), filepath.Join(o.ReportDir, "courses.invalid.xml")); err != nil {
				return err
			}
		}
		info := map[string]any{"kind": ek.Kind.Name, "endpoint": "contentHandler/" + ek.Endpoint, "file": o.Out, "rows": rows, "holds": what}
		if cols := p.columns(); cols != nil {
			info["columns"] = cols
		}
		rep.Set("payload", info)
		return nil
	})
	if werr != nil {
		var ae *Error
		switch {
		case errors.As(werr, &ae):
			werr = ae // what stopped it said why (and report.WriteFile's "writing FILE" adds nothing)
		case ctx.Err() == nil:
			werr = cannotRun(werr, "Check that the output folder exists and is writable.")
		}
		if res.Report == nil {
			return nil, werr
		}
	} else if !o.Quiet {
		fmt.Fprintf(d.stderr(), "Wrote %s for contentHandler/%s: %s.\n", o.Out, ek.Endpoint, res.What)
	}
	if !o.noWrite {
		werr = o.writeReport(res.Report, werr)
	}
	res.Counts = res.Report.Counts()
	return res, werr
}

// presentFields reads only the headers of the inputs and returns which fields of k they have, so
// a CSV payload carries the columns the user gave (its header is written before any row).
func (o *ExportOptions) presentFields(ctx context.Context, k *pipeline.Kind) (func(int) bool, error) {
	var aliases pipeline.Aliases
	var err error
	if o.MapFile != "" {
		if aliases, err = pipeline.LoadAliases(ctx, o.MapFile); err != nil {
			return nil, err
		}
	}
	ro := read.Options{Sheet: o.Sheet, Context: ctx, IncludeHidden: o.IncludeHidden}
	// The headers as the check reads them: the same row (see headerOptions).
	if err := headerOptions(&ro, o.HeaderRow, pipeline.Options{Kind: k, Aliases: aliases}); err != nil {
		return nil, err
	}
	o.MaxPart.Apply(&ro)
	if ro.Delimiter, err = ParseDelimiter(o.Delimiter); err != nil {
		return nil, err
	}
	has := make([]bool, len(k.Fields))
	for _, path := range o.Files {
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
	if b, rerr := os.ReadFile(file); rerr == nil {
		_, derr := report.MakeDir(filepath.Dir(keep))
		if derr == nil && report.WriteFile(keep, report.FileMode, func(f *os.File) error { _, err := f.Write(b); return err }) == nil {
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
