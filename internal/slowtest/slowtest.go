// Package slowtest gates the tests that build and run the bulk binary or drive a browser: the
// end-to-end proofs that take most of a cold test run's time. The README's test command runs
// every other test in under four minutes from a cold cache on a 2-core machine; CI (.ci/run)
// then runs the same command again with BULK_SLOW_TESTS=1, which runs these too (the others
// come from the test cache, as they read no such variable).
package slowtest

import (
	"os"
	"testing"
)

// Env is the variable that turns the slow tests on.
const Env = "BULK_SLOW_TESTS"

// Need skips t, saying how to run it, unless BULK_SLOW_TESTS is set to anything but "" or "0".
func Need(t testing.TB, what string) {
	t.Helper()
	if v := os.Getenv(Env); v == "" || v == "0" {
		t.Skipf("%s: one of the slow end-to-end tests; run them with %s=1 go test -race ./... (CI does)", what, Env)
	}
}
