package app

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
		_, err := KindByName(tc.arg)
		ee, ok := err.(*Error)
		if !ok || ee.Kind != CannotRun || !strings.HasPrefix(ee.Hint, tc.want) {
			t.Errorf("KindByName(%q) = %v (hint %q), want CannotRun with a hint starting %q", tc.arg, err, ee.Hint, tc.want)
		}
	}
}
