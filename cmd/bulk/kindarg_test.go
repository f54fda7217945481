package main

import (
	"strings"
	"testing"
)

func TestKindArgSuggests(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"onefil-users", "Did you mean onefile-users?"},
		{"learners", "Did you mean onefile-users?"},
		{"history", "Did you mean training-history?"},
		{"zzz", "Run 'bulk kinds' to see them."},
	} {
		_, err := kindArg(tc.arg)
		ee, ok := err.(*ExitError)
		if !ok || ee.Code != ExitCannotRun || !strings.HasPrefix(ee.Hint, tc.want) {
			t.Errorf("kindArg(%q) = %v (hint %q), want exit 2 with a hint starting %q", tc.arg, err, ee.Hint, tc.want)
		}
	}
}
