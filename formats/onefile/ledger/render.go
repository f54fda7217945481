package ledger

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// WriteRuns prints runs as the table of 'bulk runs', newest first as given. alive says whether a
// process still exists (ProcessAlive; tests give their own), so a killed run shows as stopped.
func WriteRuns(w io.Writer, runs []Run, alive func(pid int) bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tTOOK\tTARGET\tORG\tMODE\tSTATUS\tROWS")
	for _, r := range runs {
		mode := r.Mode
		if r.DryRun {
			mode += " (dry run)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04"), took(r),
			r.APIRoot, r.Org, mode, runStatus(r, alive), counts(r.Counts))
	}
	return tw.Flush()
}

// WriteRun prints one run and the result of each of its rows, as 'bulk runs show ID'.
func WriteRun(w io.Writer, r Run, rs []Result, alive func(pid int) bool) error {
	fmt.Fprintf(w, "Run %d\n", r.ID)
	fmt.Fprintf(w, "  started   %s (took %s)\n", r.Started.Local().Format(time.DateTime), took(r))
	fmt.Fprintf(w, "  target    %s, organisation %d\n", r.APIRoot, r.Org)
	mode := r.Mode
	if r.DryRun {
		mode += ", dry run (nothing sent)"
	}
	fmt.Fprintf(w, "  mode      %s\n", mode)
	fmt.Fprintf(w, "  inputs    %s\n", strings.Join(r.Inputs, ", "))
	if r.Report != "" {
		fmt.Fprintf(w, "  report    %s\n", r.Report)
	}
	fmt.Fprintf(w, "  status    %s\n", runStatus(r, alive))
	fmt.Fprintf(w, "  rows      %s\n\n", counts(r.Counts))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tSHEET\tROW\tKIND\tACTION\tSTATUS\tONEFILE ID\tMESSAGE")
	for _, x := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", x.File, x.Sheet, x.Row, x.Kind, x.Action, x.Status, x.OneFileID, x.Message)
	}
	return tw.Flush()
}

func took(r Run) string {
	if r.Finished.IsZero() {
		return "-"
	}
	return r.Finished.Sub(r.Started).Round(time.Second).String()
}

// runStatus says "running" only for a run whose process is still there: a run killed with
// kill -9 never recorded its end. A run of another machine (a shared ledger) cannot be checked.
func runStatus(r Run, alive func(int) bool) string {
	if r.Status != "running" {
		return r.Status
	}
	if here, _ := os.Hostname(); r.Host != "" && r.Host != here {
		// A shared ledger: a pid on another machine cannot be looked for from this one.
		return fmt.Sprintf("running on %s (pid %d), or stopped there", r.Host, r.PID)
	}
	if r.PID > 0 && alive != nil && alive(r.PID) {
		return "running"
	}
	return "stopped (no end recorded: killed?)"
}

func counts(c map[string]int64) string {
	var parts []string
	for _, k := range []string{"ok", "rejected", "failed", "skipped"} {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// ProcessAlive reports whether a process with this ID exists (signal 0 checks without sending
// anything; where signals do not exist, as on Windows, the answer is "no" and the run shows as
// stopped).
func ProcessAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
