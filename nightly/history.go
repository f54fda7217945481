package nightly

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/sqlstore"
)

// ListRuns prints the history of nightly jobs, newest first: what a data officer checks the
// morning after (bulk runs --nightly). With jobPath, the runs of that job only, from its own
// state (its state: setting) unless statePath says otherwise; without, every job's runs in
// statePath (default DefaultStatePath).
func ListRuns(stdout, stderr io.Writer, jobPath, statePath string, limit int) error {
	st, j, path, err := OpenJobState(jobPath, statePath)
	if err != nil {
		return err
	}
	defer st.Close()
	path = sqlstore.Redact(path)
	if limit <= 0 {
		limit = 1 << 30
	}
	var runs []Run
	if j != nil {
		runs, err = st.JobRuns(j.Name, limit)
	} else {
		runs, err = st.Runs(limit)
	}
	if err != nil {
		return app.CannotRunError(err, "")
	}
	if len(runs) == 0 {
		if j != nil {
			fmt.Fprintf(stderr, "No runs of job %s recorded in %s yet.\n", j.Name, path)
		} else {
			fmt.Fprintf(stderr, "No nightly runs recorded in %s yet. A job that keeps its own state: 'bulk runs --nightly JOB.yaml'.\n", path)
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN ID\tJOB\tSTARTED\tSTATUS\tROWS\tREJECTED\tSENT\tUNCHANGED")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%v\t%v\t%v\n", r.ID, r.Job, r.Started.Local().Format("2006-01-02 15:04"), r.Status,
			orDash(r.Summary["rows_read"]), orDash(r.Summary["rows_rejected"]), orDash(r.Summary["sent"]), orDash(r.Summary["skipped_unchanged"]))
	}
	return tw.Flush()
}

func orDash(v any) any {
	if v == nil {
		return "-"
	}
	return v
}

// ShowRun prints one nightly run (bulk runs show RUN_ID): its file, status, report and summary,
// and for a held run the command that approves it.
func ShowRun(w io.Writer, jobPath, statePath, id string) error {
	st, _, _, err := OpenJobState(jobPath, statePath)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.GetRun(id)
	if err != nil {
		return app.CannotRunError(err, "Run 'bulk runs --nightly' to see them ('bulk runs --nightly JOB.yaml' for a job that keeps its own state).")
	}
	fmt.Fprintf(w, "Run %s of job %s (%s)\n", r.ID, r.Job, r.JobPath)
	fmt.Fprintf(w, "File:    %s\nStatus:  %s\nStarted: %s\n", r.File, r.Status, r.Started.Local().Format("2006-01-02 15:04:05"))
	if !r.Finished.IsZero() {
		fmt.Fprintf(w, "Took:    %s\n", r.Finished.Sub(r.Started))
	}
	fmt.Fprintf(w, "Archive: %s\nReport:  %s\n", r.Archive, r.Report)
	if r.Plan != "" {
		fmt.Fprintf(w, "Plan:    %s\n", r.Plan)
	}
	if len(r.Summary) > 0 {
		b, _ := json.MarshalIndent(r.Summary, "", "  ")
		fmt.Fprintf(w, "Summary: %s\n", b)
	}
	if r.Status == "held" {
		cmd := "bulk approve " + r.ID
		if j, err := Load(r.JobPath); err == nil {
			if statePath != "" {
				j.State = statePath
			}
			cmd = ApproveCommand(j, r.ID)
		}
		fmt.Fprintf(w, "\nNothing was sent. Read the report, then: %s\n", cmd)
	}
	return nil
}

// StatePlace is the nightly state 'bulk runs --nightly' reads: --nightly-state, else a
// postgres:// --state (one database holds the ledger and the nightly state, as a job's
// state: postgres://... does), never a --state silently ignored. A --state file is the ledger
// of loads, not a nightly state: refused, naming --nightly-state.
func StatePlace(state, nightlyState string) (string, error) {
	if nightlyState != "" || state == "" {
		return nightlyState, nil
	}
	if sqlstore.IsPostgres(state) {
		return state, nil
	}
	return "", app.CannotRunError(errors.New("--state is the run ledger of loads; nightly runs are kept in the nightly state"),
		"Give --nightly-state PATH, or the job file: 'bulk runs --nightly JOB.yaml'.")
}
