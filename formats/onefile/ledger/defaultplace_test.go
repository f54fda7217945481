package ledger

import (
	"strings"
	"testing"
)

// TestDefaultPlaceNamesTheVariable: a BULK_STATE_URL bulk cannot use is refused saying that
// the value came from BULK_STATE_URL (a --state hint alone sent people looking for a flag they
// never gave), without its password; a usable one is the place.
func TestDefaultPlaceNamesTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env     string
		wantErr bool
	}{
		{"mysql://u:pw@h/db", true},
		{"postgres:/db", true},
		{"postgres://u:pw@h/db", false},
	} {
		getenv := func(k string) string {
			if k == StateURLEnv {
				return tc.env
			}
			return ""
		}
		place, err := DefaultPlace(getenv)
		if !tc.wantErr {
			if err != nil || place != tc.env {
				t.Errorf("%s: DefaultPlace = %q, %v; want the URL", tc.env, place, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), StateURLEnv) || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: DefaultPlace error %v, want one naming %s without the password", tc.env, err, StateURLEnv)
		}
	}
}
