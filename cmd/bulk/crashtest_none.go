//go:build !bulkcrashtest

package main

import "github.com/spf13/cobra"

// testCommands is empty in a release binary: see crashtest_hooks.go.
func testCommands(*App) []*cobra.Command { return nil }
