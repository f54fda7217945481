package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/pull"
	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// TemplateOptions are the options of WriteTemplates (bulk template's arguments and flags).
type TemplateOptions struct {
	Kind  string // the kind to write; "" with All
	Out   string // the file (- for standard output), or with All the folder
	All   bool   // every kind
	CSV   bool   // header-only CSV instead of workbooks
	Force bool   // overwrite existing files
	// From is a workbook from bulk pull whose names fill the drop-downs (ClassroomName,
	// PlacementName, StandardTitle, UnitTitle, the staff a row names); Target reads them from
	// OneFile instead (--env/--url/--sandbox with --org).
	From   string
	Target OnefileConn
}

// live reads the names for the drop-downs: from a pulled workbook, from OneFile, or none.
func (o *TemplateOptions) live(ctx context.Context, d *Deps) (template.Live, string, error) {
	t := o.Target
	remote := t.URL != "" || t.Env != "" || t.Sandbox
	switch {
	case o.From == "" && !remote:
		return nil, "", nil
	case o.From != "" && remote:
		return nil, "", cannotRun(errors.New("give --from FILE or a target (--env, --url, --sandbox), not both"), "")
	case o.CSV:
		return nil, "", cannotRun(errors.New("a CSV template has no drop-downs to fill"), "Leave out --csv (and name the file .xlsx) to get the names as drop-downs.")
	}
	if o.From != "" {
		l, err := pull.ReadLists(o.From)
		if err != nil {
			return nil, "", cannotRun(fmt.Errorf("--from: %w", err), "")
		}
		return template.Live(l), fmt.Sprintf("%s (from %s)", l.Counts(), o.From), nil
	}
	c, org, url, stop, err := openOnefile(ctx, d, t)
	if err != nil {
		return nil, "", err
	}
	defer stop()
	l, err := pull.FetchLists(ctx, c, org)
	if err != nil {
		return nil, "", cannotRun(err, "")
	}
	return template.Live(l), fmt.Sprintf("%s (organisation %d at %s)", l.Counts(), org, url), nil
}

// templateFile is one template to write.
type templateFile struct {
	kind *pipeline.Kind
	path string // "-" for standard output
}

// WriteTemplates writes the template of o.Kind, or of every kind with o.All ('bulk template').
func WriteTemplates(ctx context.Context, d Deps, o TemplateOptions) error {
	jobs, err := o.plan()
	if err != nil {
		return err
	}
	if !o.Force {
		for _, j := range jobs {
			if _, err := os.Stat(j.path); j.path != "-" && err == nil {
				return cannotRun(fmt.Errorf("%s already exists", j.path), "Choose another name with -o, or add --force to overwrite it.")
			}
		}
	}
	live, from, err := o.live(ctx, &d)
	if err != nil {
		return err
	}
	if live != nil {
		// OneFile's names go in the OneFile kinds' columns (ClassroomName, StandardTitle, the
		// staff a row names); another kind would get none, whatever the organisation holds.
		if !slices.ContainsFunc(jobs, func(j templateFile) bool { return j.kind.Target == "onefile" }) {
			var with []string
			for _, k := range catalog.KindsFor("onefile") {
				with = append(with, k.Name)
			}
			return cannotRun(fmt.Errorf("the %s template has no column for OneFile's names (classrooms, placements, standards, units, staff)", jobs[0].kind.Name),
				fmt.Sprintf("Leave out --from and the target, or choose a kind that takes them: %s.", strings.Join(with, ", ")))
		}
		fmt.Fprintf(d.stderr(), "Drop-downs of the target's names: %s.\n", from)
	}
	for _, j := range jobs {
		write := func(w io.Writer, k *pipeline.Kind) error { return template.WriteXLSXLive(w, k, live) }
		if o.CSV {
			write = template.WriteCSV
		}
		if j.path == "-" {
			if err := write(d.Stdout, j.kind); err != nil {
				return cannotRun(err, "")
			}
			continue
		}
		perm := os.FileMode(0o644)
		if live != nil {
			perm = report.FileMode // the staff's e-mails are personal data: the owner's only
		}
		err := report.WriteFile(j.path, perm, func(f *os.File) error { return write(f, j.kind) })
		if err != nil {
			return cannotRun(err, "Check that the folder exists and is writable, or choose another with -o.")
		}
		fmt.Fprintf(d.stderr(), "Wrote %s: the %s template, %s.\n", j.path, j.kind.Name, columnCount(j.kind))
	}
	if len(jobs) == 1 && jobs[0].path != "-" {
		j := jobs[0]
		where := ""
		if !o.CSV {
			where = fmt.Sprintf(" on the sheet %s", template.SheetList(j.kind, "or"))
		}
		fmt.Fprintf(d.stderr(), "Fill it in%s, one row per record, then check it: bulk validate %s\n", where, ShellQuote(j.path))
	}
	return nil
}

// plan decides which files to write, without touching the disk beyond creating the --all folder.
func (o *TemplateOptions) plan() ([]templateFile, error) {
	ext := ".xlsx"
	if o.CSV {
		ext = ".csv"
	}
	if o.All {
		dir := o.Out
		if dir == "" {
			dir = "."
		}
		if dir == "-" {
			return nil, cannotRun(errors.New("--all writes one file per kind: -o must name a folder, not -"), "")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, cannotRun(fmt.Errorf("cannot create the folder %s: %w", dir, err), "")
		}
		var jobs []templateFile
		for _, k := range catalog.Kinds() {
			jobs = append(jobs, templateFile{k, filepath.Join(dir, k.Name+ext)})
		}
		return jobs, nil
	}
	k, err := KindByName(o.Kind)
	if err != nil {
		return nil, err
	}
	path := o.Out
	switch {
	case path == "":
		path = k.Name + ext
	case path == "-":
	default:
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			path = filepath.Join(path, k.Name+ext)
			break
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			o.CSV = true // -o learners.csv means a CSV, whether or not --csv was given
		case ".xlsx":
			if o.CSV {
				return nil, cannotRun(fmt.Errorf("--csv writes CSV, but -o %s names a workbook", path), "Name the file .csv, or leave out --csv for a workbook.")
			}
		default:
			return nil, cannotRun(fmt.Errorf("-o %s: name the file .xlsx (a workbook) or .csv (headers only)", path), "")
		}
	}
	return []templateFile{{k, path}}, nil
}

func columnCount(k *pipeline.Kind) string {
	req := 0
	for _, f := range k.Fields {
		if f.Required {
			req++
		}
	}
	return fmt.Sprintf("%d columns, %d required", len(k.Fields), req)
}

// ShellQuote quotes a path for a command the user may paste, when it needs quoting.
func ShellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$`\\!&;()<>|*?[]#~") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
