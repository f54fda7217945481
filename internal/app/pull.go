package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/pull"
	"github.com/bulkload/bulk/pipeline/report"
)

// PullOnefileOptions are the options of PullOnefile ('bulk pull onefile').
type PullOnefileOptions struct {
	OnefileConn        // the OneFile to read (--sandbox: the in-process sandbox's seed)
	Out         string // the workbook (.xlsx)
	CSVDir      string // also one CSV per sheet in this folder
	Force       bool   // overwrite Out
	Quiet       bool
}

// PullOutcome is what a pull wrote.
type PullOutcome struct {
	Out          string       `json:"out"`
	CSVDir       string       `json:"csv_dir,omitempty"`
	APIRoot      string       `json:"api_root"`
	Organisation int          `json:"organisation"`
	Counts       *pull.Counts `json:"counts"`
	Calls        int64        `json:"api_calls"`
	Elapsed      time.Duration
}

// PullOnefile writes what a OneFile organisation holds into a workbook bulk reads back
// (formats/onefile/pull). It only reads from OneFile.
func PullOnefile(ctx context.Context, d Deps, o PullOnefileOptions) (*PullOutcome, error) {
	if o.Out == "" || !strings.EqualFold(filepath.Ext(o.Out), ".xlsx") {
		return nil, cannotRun(fmt.Errorf("-o %q: name the workbook to write, ending .xlsx", o.Out), "For example: bulk pull onefile --env beta --org 5740 -o pulled.xlsx")
	}
	if _, err := os.Stat(o.Out); err == nil && !o.Force {
		return nil, cannotRun(fmt.Errorf("%s already exists", o.Out), "Choose another name with -o, or add --force to overwrite it.")
	}
	if o.CSVDir != "" && !o.Force {
		// Loading the folder back (DIR/*.csv) would take an earlier pull's files, of another
		// organisation perhaps, for this one's: as -o, it is not overwritten unasked.
		if old, _ := filepath.Glob(filepath.Join(o.CSVDir, "*.csv")); len(old) > 0 {
			names := make([]string, 0, 3)
			for _, f := range old[:min(3, len(old))] {
				names = append(names, filepath.Base(f))
			}
			if len(old) > 3 {
				names = append(names, fmt.Sprintf("and %d more", len(old)-3))
			}
			return nil, cannotRun(fmt.Errorf("--csv %s already holds CSV files (%s)", o.CSVDir, strings.Join(names, ", ")),
				"Choose an empty folder for --csv, or add --force to overwrite them.")
		}
	}
	c, org, url, stop, err := openOnefile(ctx, &d, o.OnefileConn)
	if err != nil {
		return nil, err
	}
	defer stop()
	start := time.Now()
	var sink pull.SheetSink
	var csvs *csvSheets
	if o.CSVDir != "" {
		if _, err := report.MakeDir(o.CSVDir); err != nil {
			return nil, cannotRun(fmt.Errorf("--csv %s: %w", o.CSVDir, err), "")
		}
		csvs = &csvSheets{dir: o.CSVDir}
		sink = csvs
	}
	bar, endBar := pullProgress(&d, o.Quiet)
	var counts *pull.Counts
	err = report.WriteFile(o.Out, report.FileMode, func(f *os.File) error {
		var err error
		counts, err = pull.Write(ctx, c, org, f, sink, pull.Options{Progress: bar})
		return err
	})
	endBar()
	if err != nil {
		if csvs != nil {
			csvs.removeAll() // the workbook's temporary file goes too: nothing is left half written
		}
		if ctx.Err() != nil {
			return nil, &Error{Kind: Interrupted, Err: errors.New("the pull was interrupted; nothing was written")}
		}
		return nil, cannotRun(err, "")
	}
	return &PullOutcome{Out: o.Out, CSVDir: o.CSVDir, APIRoot: url, Organisation: org, Counts: counts, Calls: c.Stats().Calls, Elapsed: time.Since(start)}, nil
}

// pullProgress shows users written on a terminal, nothing otherwise.
// The second function clears the spinner when the pull ends, so the summary starts on a clean
// line.
func pullProgress(d *Deps, quiet bool) (func(string, int), func()) {
	if quiet || !d.StderrIsTerminal {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(d.stderr()), progressbar.OptionSetDescription("pulling users"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(), progressbar.OptionSpinnerType(14))
	total, last := 0, map[string]int{}
	return func(sheet string, n int) {
			total += n - last[sheet]
			last[sheet] = n
			// The count is of every user so far; the sheet is the role group being read.
			bar.Describe("pulling users: " + strings.ToLower(sheet))
			_ = bar.Set(total)
		}, func() {
			_ = bar.Finish()
			_ = bar.Clear()
		}
}

// OnefileConn says which OneFile to read: the flags a pull and a template's live lists share.
type OnefileConn struct {
	URL, Env          string
	Sandbox           bool // a sandbox started in this process, with its built-in data
	Org               int
	TokenFile         string // else $BULK_ONEFILE_TOKEN
	AllowInsecureHTTP bool
	Rate              int // calls per minute; 0: OneFile's 300 (the sandbox's own rate with --sandbox)
}

// openOnefile connects to the OneFile target and checks the organisation is one the token
// sees (the only one, when none is given). stop ends the client and any sandbox.
func openOnefile(ctx context.Context, d *Deps, o OnefileConn) (c *api.Client, org int, url string, stop func(), err error) {
	lo := LoadOnefileOptions{URL: o.URL, Env: o.Env, Sandbox: o.Sandbox, Org: o.Org, TokenFile: o.TokenFile, AllowInsecureHTTP: o.AllowInsecureHTTP}
	t, err := lo.target(d)
	if err != nil {
		return nil, 0, "", nil, err
	}
	stopBox := func() {
		if t.stop != nil {
			t.stop()
		}
	}
	rate := o.Rate
	if rate == 0 && o.Sandbox {
		rate = SandboxRate
	}
	c, err = api.New(api.Config{BaseURL: t.url, CustomerToken: t.token, AllowInsecureHTTP: o.AllowInsecureHTTP, RatePerMinute: rate})
	if err != nil {
		stopBox()
		return nil, 0, "", nil, cannotRun(err, "")
	}
	stop = func() { c.Close(); stopBox() }
	cu, err := c.Customer(ctx)
	if err == nil {
		var orgs []api.Organisation
		if orgs, err = c.Organisations(ctx, cu.ID); err == nil {
			org, err = chooseOrg(orgs, lo.Org)
		}
	}
	if err != nil {
		stop()
		if errors.Is(err, api.ErrAuth) {
			return nil, 0, "", nil, cannotRun(fmt.Errorf("the token was refused: %w", err), "Check the customer token ("+TokenEnv+" or --token-file) is for this environment and has not been revoked.")
		}
		var ce *Error
		if errors.As(err, &ce) {
			return nil, 0, "", nil, err
		}
		return nil, 0, "", nil, cannotRun(err, "Check the URL is a OneFile API root and the server answers.")
	}
	return c, org, t.url, stop, nil
}

// chooseOrg is want when the token sees it, or the token's only organisation when want is 0.
func chooseOrg(orgs []api.Organisation, want int) (int, error) {
	var names []string
	for _, o := range orgs {
		if o.ID == want || want == 0 && len(orgs) == 1 {
			return o.ID, nil
		}
		names = append(names, fmt.Sprintf("%d (%s)", o.ID, o.Name))
	}
	what := "give --org ID"
	if want != 0 {
		what = fmt.Sprintf("organisation %d is not among them", want)
	}
	return 0, cannotRun(fmt.Errorf("the token sees %d organisations: %s; %s", len(orgs), strings.Join(names, ", "), what), "Name the organisation with --org.")
}

// csvSheets writes each sheet of a pull as DIR/<sheet>.csv (UTF-8 with a byte order mark so
// Excel shows names right; mode 0600: personal data).
type csvSheets struct {
	dir  string
	rows []*csvRows // every sheet begun, so a pull that fails can take its files back
}

func (cs *csvSheets) Sheet(name string, header []string) (pull.RowSink, error) {
	path := filepath.Join(cs.dir, strings.ReplaceAll(name, " ", "-")+".csv")
	w := &csvRows{path: path, header: header}
	cs.rows = append(cs.rows, w)
	for _, r := range []string{pull.Classrooms.Name, pull.Placements.Name, pull.Standards.Name, pull.Units.Name} {
		if name == r {
			// A reference list is written even when empty: it says the organisation has none.
			return w, w.open()
		}
	}
	// A role group's users: a file only once it has a user. A header-only CSV is an empty
	// input, so loading the folder back would end in exit 1 for a role nobody holds; and a
	// file of that name from an earlier pull (--force) must not stay to be loaded with this one.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return w, nil
}

type csvRows struct {
	path   string
	header []string
	f      *os.File
	w      *csv.Writer
}

// removeAll removes the files of the sheets begun.
func (cs *csvSheets) removeAll() {
	for _, w := range cs.rows {
		if w.f != nil {
			w.f.Close()
			_ = os.Remove(w.path)
		}
	}
}

// open creates the file and writes its header.
func (c *csvRows) open() error {
	f, err := report.CreateFile(c.path)
	if err != nil {
		return err
	}
	if err := report.WriteBOM(f, true); err != nil {
		f.Close()
		return err
	}
	c.f, c.w = f, csv.NewWriter(f)
	return c.write(c.header)
}

func (c *csvRows) Row(cells []string) error {
	if c.f == nil {
		if err := c.open(); err != nil {
			return err
		}
	}
	return c.write(cells)
}

func (c *csvRows) write(cells []string) error {
	safe := make([]string, len(cells))
	for i, s := range cells {
		safe[i] = report.SafeCell(s)
	}
	return c.w.Write(safe)
}

func (c *csvRows) Close() error {
	if c.f == nil {
		return nil // a role group with no users: no file
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		c.f.Close()
		return err
	}
	return c.f.Close()
}

// WriteText is the summary a person reads after a pull.
func (p *PullOutcome) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Wrote %s: organisation %d, users on %s; %d classrooms, %d placements, %d standards, %d units (%d API calls, %s).\n",
		p.Out, p.Organisation, orNone(strings.Join(p.Counts.Sheets(), ", ")), p.Counts.Classrooms, p.Counts.Placements, p.Counts.Standards, p.Counts.Units, p.Calls, p.Elapsed.Round(time.Millisecond))
	if p.CSVDir != "" {
		fmt.Fprintf(w, "One CSV per sheet in %s.\n", p.CSVDir)
	}
	fmt.Fprintf(w, "Edit the users sheets and load them back: bulk load onefile --mode upsert %s (unchanged rows send nothing).\n", ShellQuote(p.Out))
}

func orNone(s string) string {
	if s == "" {
		return "no sheet (the organisation has no users)"
	}
	return s
}
