package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// Rule codes for what the LMS says about rows that passed bulk's checks. They land in the same
// report as validation problems, on the input row, so one rejects file lists everything to fix.
const (
	RuleLMSFailed  = "lms-failed"
	RuleLMSWarning = "lms-warning"
)

func init() {
	loadTargets = append(loadTargets, newLoadPFCmd)
	pipeline.RegisterRule(pipeline.Rule{Code: RuleLMSFailed, Summary: "PeopleFluent LMS did not load a row that passed bulk's checks; the message is the LMS's.", Example: "User ID ghost does not exist"})
	pipeline.RegisterRule(pipeline.Rule{Code: RuleLMSWarning, Summary: "PeopleFluent LMS loaded the row with a warning (the LMS's message).", Example: "WARNING. Session is full"})
}

type loadPFFlags struct {
	exportFlags
	base      string
	keyFile   string
	chunkRows int
	retries   int
	resume    pushPFOptions // only its push ledger settings: state, resendUnknown, pushAgain
}

func newLoadPFCmd(a *App) *cobra.Command {
	var o loadPFFlags
	cmd := &cobra.Command{
		Use:   "peoplefluent KIND FILE... --base URL",
		Short: "Validate, export and push to PeopleFluent LMS in one step",
		Long: `load peoplefluent does what 'bulk export' and 'bulk push peoplefluent' do, one after the other:
it checks the files as KIND (training-history, external-training or courses), writes the valid rows
as the payload of the matching contentHandler endpoint, and posts it to the LMS.

Every input row ends in the report (--report DIR): rows that failed bulk's checks, and rows the LMS
refused or warned about, are in rejects.csv and rejects.xlsx on their input file and row (rules
lms-failed and lms-warning), ready to fix and load again. The LMS's answers per payload row are in results.csv and
raw/, the payload in --out (default: DIR/payload-KIND.csv or .xml). Rows that failed the checks are
not sent; the valid ones are.

The system key is read from ` + envPFKey + ` or --key-file, never from a flag value.

` + exitStatusHelp,
		Example: `  export ` + envPFKey + `="$(cat ~/.config/bulk/pf-key)"
  bulk load peoplefluent training-history completions.xlsx --base https://lms.example.com/ekp/
  bulk load peoplefluent courses catalogue.xlsx --base https://lms.example.com/ekp/ --key-file ~/.pf-key`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(cmd, errors.New("say which kind to load: training-history, external-training or courses"))
			}
			_, err := o.run(cmd.Context(), a, args[0], args[1:])
			return err
		},
	}
	o.exportFlags.bind(cmd)
	fs := cmd.Flags()
	fs.StringVar(&o.base, "base", "", "LMS root `URL`, e.g. https://lms.example.com/ekp/")
	fs.StringVar(&o.keyFile, "key-file", "", "read the system key from `PATH` instead of "+envPFKey)
	fs.IntVar(&o.chunkRows, "chunk-rows", peoplefluent.DefaultChunkRows, "data rows per request for CSV payloads")
	fs.IntVar(&o.retries, "retries", peoplefluent.DefaultRetries, "retries of a chunk the LMS did not take")
	o.resume.bindResumeFlags(cmd)
	_ = cmd.MarkFlagRequired("base")
	return cmd
}

// run validates the inputs, exports the valid rows and pushes them. Once the export has made
// the run's report it returns it whatever the error (rows rejected at either end, a push that
// stopped), so a caller such as a nightly run reads the outcome from it; the report is nil only
// when the run stopped before that.
func (o *loadPFFlags) run(ctx context.Context, a *App, kindName string, inputs []string) (*report.Report, error) {
	ek, err := findExportKind(kindName)
	if err != nil {
		return nil, cannotRun(err, "Run 'bulk load peoplefluent --help' for the kinds.")
	}
	// What would stop the push stops the load before anything is read or written.
	ep, err := peoplefluent.ParseEndpoint(ek.endpoint)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	if _, err := ep.URL(o.base); err != nil {
		return nil, cannotRun(err, "")
	}
	if _, err := readPFKey(a, o.keyFile); err != nil {
		return nil, err
	}
	if o.out == "" {
		if err := os.MkdirAll(o.reportDir, 0o755); err != nil {
			return nil, cannotRun(err, "Choose another folder with --report.")
		}
		o.out = filepath.Join(o.reportDir, "payload-"+ek.kind.Name+ek.ext)
	}

	// Payload row i (0-based) came from input row rows[i]: the LMS answers by payload row, the
	// data officer fixes input rows. Eight bytes a row.
	var rows []rowRef
	srcs := map[int]*pipeline.Source{}
	o.onRow = func(r *pipeline.Row) {
		src := r.Rec.Src
		srcs[src.Index] = src
		rows = append(rows, rowRef{src: int32(src.Index), row: int32(r.Rec.Row)})
	}
	res, err := o.export(ctx, a, ek.kind.Name, inputs)
	if err != nil {
		return nil, err
	}
	if res.rows == 0 {
		rejects := rejectsFile(res.rep, o.reportDir) // the workbook when one was written, as the other loaders say
		msg := nothingChanged("push", res.counts, rejects)
		if msg == "" {
			msg = fmt.Sprintf("Nothing to push: no row passed the checks. Fix the rows in %s and load again.", rejects)
		}
		// Every row unchanged is a good run with nothing to say under -q (a nightly run logs it).
		if !o.quiet || res.counts.Rejected > 0 || res.counts.Skipped == 0 {
			fmt.Fprintln(a.Stderr, msg)
		}
		return res.rep, exitFor(res.counts)
	}
	push := pushPFOptions{base: o.base, endpoint: ek.endpoint, chunkRows: o.chunkRows, retries: o.retries,
		keyFile: o.keyFile, reportDir: o.reportDir, quiet: o.quiet,
		state: o.resume.state, resendUnknown: o.resume.resendUnknown, pushAgain: o.resume.pushAgain}
	sum, pushErr := push.push(ctx, a, o.out)
	// Whatever became of the push, what the LMS said about each row goes onto its input row.
	traced, terr := traceResults(filepath.Join(o.reportDir, "results.csv"), ek.ext == ".xml", rows, srcs, res.rep)
	res.rep.Set("push", map[string]any{"endpoint": string(ep), "rows": sum.Rows, "ok": sum.OK, "warnings": sum.Warnings,
		"failed": sum.Failed, "unknown": sum.Unknown, "requests": sum.Chunks, "results": filepath.Join(o.reportDir, "results.csv")})
	if werr := res.rep.Write(); werr != nil && pushErr == nil {
		return res.rep, cannotRun(werr, "Check that the report folder is writable, or choose another with --report.")
	}
	if pushErr != nil {
		return res.rep, pushErr
	}
	if terr != nil {
		return res.rep, cannotRun(fmt.Errorf("reading the push's results: %w", terr), "")
	}
	counts := res.rep.Counts()
	if !o.quiet || counts.Rejected > 0 {
		fmt.Fprintf(a.Stderr, "Loaded: %s; %s %s traced to their input rows. %s\n", pushLine(sum), thousands(int64(traced)),
			plural(int64(traced), "LMS answer", "LMS answers"), summaryLine(res.rep, o.reportDir))
	}
	return res.rep, exitFor(counts)
}

func pushLine(s peoplefluent.Summary) string {
	return fmt.Sprintf("%s ok, %s %s, %s failed at the LMS", thousands(int64(s.OK)), thousands(int64(s.Warnings)),
		plural(int64(s.Warnings), "warning", "warnings"), thousands(int64(s.Failed)))
}

func exitFor(c report.Counts) error {
	if c.Rejected > 0 {
		return &ExitError{Code: ExitRejected}
	}
	return nil
}

type rowRef struct{ src, row int32 }

// traceResults reads results.csv and reports every failed or warned payload row on the input row
// it came from. courses.xml has one result for the whole file (row 0): it applies to every row
// in the document. It returns how many input rows were given an LMS problem.
func traceResults(path string, whole bool, rows []rowRef, srcs map[int]*pipeline.Source, rep *report.Report) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil // the push stopped before it wrote any result
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = 4
	if _, err := cr.Read(); err != nil { // the header
		if err == io.EOF {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		status, msg := rec[2], unsafeCell(rec[3])
		if status == peoplefluent.StatusUnknown {
			// The LMS may or may not have it: not loaded as far as bulk can tell.
			status, msg = peoplefluent.StatusFailed, "outcome unknown, check it in the LMS: "+msg
		}
		if status != peoplefluent.StatusFailed && status != peoplefluent.StatusWarning {
			continue
		}
		row, err := strconv.Atoi(rec[1])
		if err != nil {
			return n, fmt.Errorf("row %q", rec[1])
		}
		var refs []rowRef
		switch {
		case whole && row == 0:
			refs = rows
		case row >= 2 && row-2 < len(rows):
			refs = rows[row-2 : row-1]
		default:
			continue // a row number the payload does not have: results.csv still says it
		}
		for _, ref := range refs {
			src := srcs[int(ref.src)]
			if rep.Rejected(src, int(ref.row)) {
				continue // rejected before it was sent (a late check): already explained
			}
			p := pipeline.Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: int(ref.row)}
			if status == peoplefluent.StatusFailed {
				p.Rule, p.Severity = RuleLMSFailed, pipeline.Error
				p.Message = "The LMS did not load this row: " + strings.TrimSpace(msg)
				rep.Fail(p)
			} else {
				p.Rule, p.Severity = RuleLMSWarning, pipeline.Warning
				p.Message = "The LMS loaded this row with a warning: " + strings.TrimSpace(msg)
				rep.Problem(p)
			}
			n++
		}
	}
}

// unsafeCell undoes results.csv's formula guard for a message that goes into another report
// (which applies its own guard).
func unsafeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte("=+-@\t\r", s[1]) >= 0 {
		return s[1:]
	}
	return s
}
