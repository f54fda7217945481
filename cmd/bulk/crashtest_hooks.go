//go:build bulkcrashtest

package main

// Crash hooks for the end-to-end tests of exit status 4 (hardening_e2e_test.go), compiled only
// into a binary built with -tags bulkcrashtest (the panicking kind is internal/catalog's).

import (
	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/catalog"
)

// testCommands adds a command that panics on the command's own goroutine, with a runtime error.
func testCommands(*App) []*cobra.Command {
	return []*cobra.Command{{Use: "crash-test", Hidden: true, RunE: func(*cobra.Command, []string) error {
		var m map[string]int
		m[catalog.CrashTestSecret]++
		return nil
	}}}
}
