package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

type templateOptions struct {
	out   string
	all   bool
	csv   bool
	force bool
}

func newTemplateCmd(a *App) *cobra.Command {
	var o templateOptions
	cmd := &cobra.Command{
		Use:   "template KIND | --all",
		Short: "Write a spreadsheet to fill in for a kind: drop-downs, date and ID formats, notes on every column",
		Long: `template writes an .xlsx workbook for a kind (see 'bulk kinds'), ready to fill in:

  - the kind's columns under their canonical headers, required ones first (orange) and optional
    ones after (grey), the header row frozen;
  - a note on each header: what the column means, its format, whether it is required, an example;
  - Excel data validation on every data cell: drop-downs for columns with a fixed list of values,
    whole-number, date and length limits, no repeats where a value must be unique;
  - dates formatted as dates, identifiers (ULN, MISID, phone numbers) as Text so Excel keeps them
    exactly as typed;
  - a "Read me" sheet: how to fill it in, the columns, an example row (kept off the data sheet so it
    is never loaded by mistake), where to get help.

-o names the file (default KIND.xlsx in the current folder); with --all, the folder for one file per
kind. --csv writes header-only CSV files instead. An existing file is never overwritten unless
--force is given: it may be a template someone has filled in.

Exit status: 0 written, 2 could not write (unknown kind, file exists, folder not writable).`,
		Example: `  bulk template onefile-users -o learners.xlsx
  bulk template --all -o templates/
  bulk template training-history --csv -o training-history.csv
  bulk template onefile-assignments --csv -o - | head -1`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.all && len(args) > 0:
				return cannotRun(errors.New("give a KIND or --all, not both"), "Run 'bulk template --help' for usage.")
			case !o.all && len(args) == 0:
				return cannotRun(errors.New("which kind? give a KIND, or --all for every kind"), "Run 'bulk kinds' to see the kinds.")
			case len(args) > 1:
				return cannotRun(fmt.Errorf("one KIND at a time, got %d (%s)", len(args), strings.Join(args, " ")), "Use --all for every kind.")
			}
			return nil
		},
		ValidArgsFunction: completeKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(a, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.out, "output", "o", "", "`FILE` to write (- for standard output); with --all, the folder")
	fs.BoolVar(&o.all, "all", false, "write a template for every kind")
	fs.BoolVar(&o.csv, "csv", false, "write header-only CSV files instead of workbooks")
	fs.BoolVar(&o.force, "force", false, "overwrite existing files")
	_ = cmd.MarkFlagFilename("output", "xlsx", "csv")
	return cmd
}

// templateJob is one template to write.
type templateJob struct {
	kind *pipeline.Kind
	path string // "-" for standard output
}

func (o *templateOptions) run(a *App, args []string) error {
	jobs, err := o.plan(args)
	if err != nil {
		return err
	}
	if !o.force {
		for _, j := range jobs {
			if _, err := os.Stat(j.path); j.path != "-" && err == nil {
				return cannotRun(fmt.Errorf("%s already exists", j.path), "Choose another name with -o, or add --force to overwrite it.")
			}
		}
	}
	for _, j := range jobs {
		write := template.WriteXLSX
		if o.csv {
			write = template.WriteCSV
		}
		if j.path == "-" {
			if err := write(a.Stdout, j.kind); err != nil {
				return cannotRun(err, "")
			}
			continue
		}
		err := report.WriteFile(j.path, 0o644, func(f *os.File) error { return write(f, j.kind) })
		if err != nil {
			return cannotRun(err, "Check that the folder exists and is writable, or choose another with -o.")
		}
		fmt.Fprintf(a.Stderr, "Wrote %s: the %s template, %s.\n", j.path, j.kind.Name, columnCount(j.kind))
	}
	if len(jobs) == 1 && jobs[0].path != "-" {
		j := jobs[0]
		where := ""
		if !o.csv {
			where = fmt.Sprintf(" on the sheet %s", template.DataSheet(j.kind))
		}
		fmt.Fprintf(a.Stderr, "Fill it in%s, one row per record, then check it: bulk validate %s\n", where, shellQuote(j.path))
	}
	return nil
}

// plan decides which files to write, without touching the disk beyond creating the --all folder.
func (o *templateOptions) plan(args []string) ([]templateJob, error) {
	ext := ".xlsx"
	if o.csv {
		ext = ".csv"
	}
	if o.all {
		dir := o.out
		if dir == "" {
			dir = "."
		}
		if dir == "-" {
			return nil, cannotRun(errors.New("--all writes one file per kind: -o must name a folder, not -"), "")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, cannotRun(fmt.Errorf("cannot create the folder %s: %w", dir, err), "")
		}
		var jobs []templateJob
		for _, k := range catalog.Kinds() {
			jobs = append(jobs, templateJob{k, filepath.Join(dir, k.Name+ext)})
		}
		return jobs, nil
	}
	k, err := kindArg(args[0])
	if err != nil {
		return nil, err
	}
	path := o.out
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
			o.csv = true // -o learners.csv means a CSV, whether or not --csv was given
		case ".xlsx":
			if o.csv {
				return nil, cannotRun(fmt.Errorf("--csv writes CSV, but -o %s names a workbook", path), "Name the file .csv, or leave out --csv for a workbook.")
			}
		default:
			return nil, cannotRun(fmt.Errorf("-o %s: name the file .xlsx (a workbook) or .csv (headers only)", path), "")
		}
	}
	return []templateJob{{k, path}}, nil
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

// shellQuote quotes a path for a command the user may paste, when it needs quoting.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$`\\!&;()<>|*?[]#~") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
