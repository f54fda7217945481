package main

import (
	"os"
)

// Every test in this package that pushes to PeopleFluent without --state would otherwise
// record its chunks in the push ledger under the real $HOME (and a later test run of the same
// payload to a reused port would resume it): point the default state folder at a temporary one.
func init() {
	if dir, err := os.MkdirTemp("", "bulk-test-state-"); err == nil {
		_ = os.Setenv("XDG_STATE_HOME", dir)
	}
}
