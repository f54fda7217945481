package pipeline

// Hooks for the external benchmarks (package pipeline_test imports the kinds, which import
// pipeline, so it cannot be an internal test).

// CheckRowForBench runs the row checks a worker runs (field checks, then the kind's rules).
func CheckRowForBench(r *Row, present []int) { checkRow(r, present) }

var benchOpts = newRowOptions(false, now())

// ResetRowForBench makes r a fresh row of rec, keeping its slices' memory, as a worker does.
func ResetRowForBench(r *Row, rec *Record, m *Mapping) {
	*r = Row{Rec: rec, Map: m, Problems: r.Problems[:0], Opts: benchOpts, dates: r.dates[:0], dateErrs: r.dateErrs[:0]}
}
