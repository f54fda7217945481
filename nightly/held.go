package nightly

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/pipeline/report"
)

// A held run is a saved plan: for OneFile the run goes on as a dry run, so plan.json in its
// report folder says what approving it would create, change (with each field's old and new
// value) and leave alone, against what OneFile held then. held.txt, beside it, says the same
// for a person, with why the run was held and how many known rows the file lacked; 'bulk
// approve' shows it again before asking.

// HeldFile is the held summary's name in a held run's report folder.
const HeldFile = "held.txt"

// maxListed bounds the rows held.txt names of each action; the plan holds them all.
const maxListed = 50

// WriteHeld writes a held run's summary (held.txt) into its report folder, readable by its
// owner only: it names people.
func WriteHeld(dir string, why []string, counts DiffCounts, plan *load.Plan) (string, error) {
	path := filepath.Join(dir, HeldFile)
	err := report.WriteFile(path, 0o600, func(f *os.File) error {
		return RenderHeld(f, why, counts, plan)
	})
	return path, err
}

// RenderHeld writes what a held run would do: why it was held, the diff's counts, the missing
// known rows (counted: the state keeps fingerprints, not keys), and with a plan the rows it
// would create and change, with their diffs.
func RenderHeld(w io.Writer, why []string, counts DiffCounts, plan *load.Plan) error {
	var b strings.Builder
	if len(why) > 0 {
		fmt.Fprintf(&b, "Held because %s.\n", strings.Join(why, "; "))
	}
	fmt.Fprintf(&b, "Against what this job last sent there: %d new, %d changed, %d unchanged, %d rows without a key",
		counts.New, counts.Changed, counts.Unchanged, counts.NoKey)
	if counts.NotOnTarget > 0 {
		fmt.Fprintf(&b, "; %d of the new were sent before but are no longer on the target", counts.NotOnTarget)
	}
	b.WriteString(".\n")
	if counts.Missing > 0 {
		what := "nothing is deleted on the target for them"
		if plan != nil && len(plan.Leavers) > 0 {
			what = "the OneFile users among them are named below, to be archived (on_missing: archive)"
		}
		fmt.Fprintf(&b, "Missing: %d of the %d known rows are not in this file. The job state keeps only fingerprints of their keys (no personal data), so they cannot be named from it; %s.\n",
			counts.Missing, counts.Known, what)
	}
	if plan == nil {
		b.WriteString("No plan was made for this target: approving validates the held file again and sends its new and changed rows.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "\nThe plan (%s organisation %d", plan.Target.APIRoot, plan.Target.Organisation)
	if plan.Target.OrganisationName != "" {
		fmt.Fprintf(&b, ", %s", plan.Target.OrganisationName)
	}
	fmt.Fprintf(&b, ", mode %s): %d to create, %d to update, %d unchanged, %d assignments, %d conflicts, %d rejected.\n",
		plan.Mode, plan.Counts[load.PlanCreate], plan.Counts[load.PlanUpdate], plan.Counts[load.PlanUnchanged],
		plan.Counts[load.PlanAssign], plan.Counts[load.PlanConflict], plan.Counts[load.PlanReject])
	for _, sec := range []struct{ action, title string }{
		{load.PlanCreate, "Would create"},
		{load.PlanUpdate, "Would change"},
		{load.PlanConflict, "Conflicts (not sent)"},
		{load.PlanReject, "Rejected (not sent)"},
	} {
		n := 0
		for i := range plan.Rows {
			r := &plan.Rows[i]
			if r.Action != sec.action {
				continue
			}
			if n == 0 {
				fmt.Fprintf(&b, "\n%s:\n", sec.title)
			}
			n++
			if n > maxListed {
				continue
			}
			fmt.Fprintf(&b, "  %s\n", planRowLine(r))
			for _, c := range r.Changes {
				fmt.Fprintf(&b, "      %s\n", c)
			}
		}
		if n > maxListed {
			fmt.Fprintf(&b, "  ... and %d more (all are in plan.json)\n", n-maxListed)
		}
	}
	if len(plan.Leavers) > 0 {
		// on_missing: archive: the users found gone from the full export, by name (missing.go).
		fmt.Fprintf(&b, "\nWould archive (no longer in the full export; on_missing: archive):\n")
		for i, g := range plan.Leavers {
			if i == maxListed {
				fmt.Fprintf(&b, "  ... and %d more (all are in plan.json)\n", len(plan.Leavers)-maxListed)
				break
			}
			who := strings.TrimSpace(g.FirstName + " " + g.LastName)
			if g.MISID != "" {
				who += " (MISID " + g.MISID + ")"
			} else if g.Email != "" {
				who += " (" + g.Email + ")"
			}
			fmt.Fprintf(&b, "  OneFile user %d: %s\n", g.ID, who)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func planRowLine(r *load.PlanRow) string {
	where := filepath.Base(r.File)
	if r.Sheet != "" {
		where += ", sheet " + r.Sheet
	}
	s := fmt.Sprintf("%s row %d", where, r.Row)
	if r.User != nil {
		name := strings.TrimSpace(fmt.Sprint(r.User.Fields["FirstName"], " ", r.User.Fields["LastName"]))
		s += ": " + name
		if r.User.MISID != "" {
			s += " (MISID " + r.User.MISID + ")"
		} else if r.User.Email != "" {
			s += " (" + r.User.Email + ")"
		}
	}
	if r.OneFileID != "" {
		s += ", OneFile user " + r.OneFileID
	}
	if (r.Action == load.PlanConflict || r.Action == load.PlanReject) && r.Message != "" {
		s += ": " + r.Message
	}
	return s
}
