//go:build bulkcrashtest

package catalog

import "github.com/bulkload/bulk/pipeline"

// CrashTestSecret stands for data a panic's value may carry (a cell, a token): the crash tests
// check it reaches neither stderr nor the crash file.
const CrashTestSecret = "tok-CRASHTEST-4b1d"

// A kind whose row rule panics on a row whose Key is "panic", compiled only into a binary built
// with -tags bulkcrashtest (cmd/bulk's exit-status-4 tests): the panic happens on one of the
// pipeline's row-check goroutines, as a bug in a real rule would. A release binary has no way to
// be made to panic on purpose.
func init() {
	kinds = append(kinds, &pipeline.Kind{
		Name:   "crash-test",
		Title:  "a kind that panics (crash tests only)",
		Fields: []pipeline.Field{{Name: "Key", Required: true}},
		RowRules: []func(r *pipeline.Row){func(r *pipeline.Row) {
			if r.Value(0) == "panic" {
				panic("rule bug near " + CrashTestSecret)
			}
		}},
	})
}
