package nightly

import (
	"strings"
	"testing"

	"github.com/bulkload/bulk/internal/app"
)

// TestHeldView: a held OneFile run is shown as 'bulk approve' shows it, its plan's creates
// named; a run that is not held is refused.
func TestHeldView(t *testing.T) {
	f, _ := onefileFixture(t, "thresholds: {max_new: 1}\n")
	f.dropLearners(1, 2)
	if k := f.run(RunOptions{}); k != app.Held {
		t.Fatalf("2 new learners against max_new 1: %v, want held\n%s", k, f.logbuf.String())
	}
	id := f.runs()[0].ID
	var b strings.Builder
	if err := HeldView(&b, f.state, id); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Held because", "The plan (", "Zebedee001", "Zebedee002"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("held view lacks %q:\n%s", want, b.String())
		}
	}
	if err := Approve(t.Context(), f.deps(), f.log(), ApproveOptions{State: f.state, RunID: id, Yes: true}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if err := HeldView(&b, f.state, id); err == nil || !strings.Contains(err.Error(), "not held") {
		t.Errorf("an approved run: %v, want 'not held'", err)
	}
}
