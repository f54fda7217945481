package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/bulkload/bulk/nightly"
)

// listNightlyRuns prints the history of nightly jobs, newest first: what a data officer checks
// the morning after.
func listNightlyRuns(a *App, path string, limit int) error {
	if path == "" {
		path = nightly.DefaultStatePath()
	}
	st, err := nightly.OpenState(path)
	if err != nil {
		return cannotRun(err, "")
	}
	defer st.Close()
	if limit <= 0 {
		limit = 1 << 30
	}
	runs, err := st.Runs(limit)
	if err != nil {
		return cannotRun(err, "")
	}
	if len(runs) == 0 {
		fmt.Fprintf(a.Stderr, "No nightly runs recorded in %s yet.\n", path)
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN ID\tJOB\tSTARTED\tSTATUS\tROWS\tREJECTED\tSENT\tUNCHANGED")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%v\t%v\t%v\n", r.ID, r.Job, r.Started.Local().Format("2006-01-02 15:04"), r.Status,
			num(r.Summary["rows_read"]), num(r.Summary["rows_rejected"]), num(r.Summary["sent"]), num(r.Summary["skipped_unchanged"]))
	}
	return tw.Flush()
}

func num(v any) any {
	if v == nil {
		return "-"
	}
	return v
}

func showNightlyRun(a *App, path, id string) error {
	if path == "" {
		path = nightly.DefaultStatePath()
	}
	st, err := nightly.OpenState(path)
	if err != nil {
		return cannotRun(err, "")
	}
	defer st.Close()
	r, err := st.GetRun(id)
	if err != nil {
		return cannotRun(err, "Run 'bulk runs --nightly' to see them.")
	}
	fmt.Fprintf(a.Stdout, "Run %s of job %s (%s)\n", r.ID, r.Job, r.JobPath)
	fmt.Fprintf(a.Stdout, "File:    %s\nStatus:  %s\nStarted: %s\n", r.File, r.Status, r.Started.Local().Format("2006-01-02 15:04:05"))
	if !r.Finished.IsZero() {
		fmt.Fprintf(a.Stdout, "Took:    %s\n", r.Finished.Sub(r.Started))
	}
	fmt.Fprintf(a.Stdout, "Archive: %s\nReport:  %s\n", r.Archive, r.Report)
	if len(r.Summary) > 0 {
		b, _ := json.MarshalIndent(r.Summary, "", "  ")
		fmt.Fprintf(a.Stdout, "Summary: %s\n", b)
	}
	if r.Status == "held" {
		fmt.Fprintf(a.Stdout, "\nNothing was sent. Read the report, then: bulk approve %s\n", r.ID)
	}
	return nil
}
