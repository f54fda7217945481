package nightly

import (
	"fmt"
	"io"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/internal/app"
)

// HeldView writes what approving held run id (in the state at statePath, "" for the default)
// would do, as 'bulk approve' shows it before it asks: why it was held, the diff's counts and,
// with a plan, the rows it would create and change with their diffs. bulk ui shows it.
func HeldView(w io.Writer, statePath, id string) error {
	st, _, _, err := OpenJobState("", statePath)
	if err != nil {
		return err
	}
	run, err := st.GetRun(id)
	st.Close()
	if err != nil {
		return app.CannotRunError(err, "")
	}
	if run.Status != "held" {
		return app.CannotRunError(fmt.Errorf("run %s is %s, not held", run.ID, run.Status), "")
	}
	var plan *load.Plan
	if run.Plan != "" {
		if plan, err = load.ReadPlan(run.Plan); err != nil {
			return app.CannotRunError(fmt.Errorf("the held run's plan: %w", err), "")
		}
	}
	why, counts := heldOf(run.Summary)
	fmt.Fprintf(w, "Run %s of job %s, file %s.\n", run.ID, run.Job, run.File)
	return RenderHeld(w, why, counts, plan)
}
