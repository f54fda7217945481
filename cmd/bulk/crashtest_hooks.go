//go:build bulkcrashtest

package main

// Crash hooks for the end-to-end tests of exit status 4 (hardening_e2e_test.go), compiled only
// into a binary built with -tags bulkcrashtest: a release binary has no way to be made to panic
// on purpose.

import (
	"github.com/bulkload/bulk/pipeline"
	"github.com/spf13/cobra"
)

// crashTestSecret stands for data a panic's value may carry (a cell, a token): it must reach
// neither stderr nor the crash file.
const crashTestSecret = "tok-CRASHTEST-4b1d"

func init() {
	// A kind whose row rule panics on a row whose Key is "panic": the panic happens on one of
	// the pipeline's row-check goroutines, as a bug in a real rule would.
	pipeline.RegisterKind(&pipeline.Kind{
		Name:   "crash-test",
		Title:  "a kind that panics (crash tests only)",
		Fields: []pipeline.Field{{Name: "Key", Required: true}},
		RowRules: []func(r *pipeline.Row){func(r *pipeline.Row) {
			if r.Value(0) == "panic" {
				panic("rule bug near " + crashTestSecret)
			}
		}},
	})
	// A command that panics on the command's own goroutine, with a runtime error.
	register(func(a *App) *cobra.Command {
		return &cobra.Command{Use: "crash-test", Hidden: true, RunE: func(*cobra.Command, []string) error {
			var m map[string]int
			m[crashTestSecret]++
			return nil
		}}
	})
}
