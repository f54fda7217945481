package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points $XDG_STATE_HOME at a temporary folder for the whole package: a test that
// loads or pushes without --state would otherwise write the OneFile run ledger and the
// PeopleFluent push ledger under the real home, and a later test run of the same payload to a
// reused port would resume that push. Tests that need a state folder of their own still set
// one (t.Setenv, --state).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bulk-test-state-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot make a temporary state folder:", err)
		os.Exit(2)
	}
	if err := os.Setenv("XDG_STATE_HOME", dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
