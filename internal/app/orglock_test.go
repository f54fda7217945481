package app

import (
	"os"
	"strings"
	"testing"

	"github.com/bulkload/bulk/lockfile"
)

// The refusal's hint names the machine a holder runs on when it is another (a shared
// PostgreSQL state): "kill 4242" alone would be run here, on the wrong process or none.
func TestBusyHint(t *testing.T) {
	here, _ := os.Hostname()
	for _, tt := range []struct {
		h    *lockfile.Holder
		want string
		not  string
	}{
		{&lockfile.Holder{PID: 4242, Host: "worker-7"}, "kill 4242 on worker-7", ""},
		{&lockfile.Holder{PID: 4242, Host: here}, "kill 4242;", " on "},
		{&lockfile.Holder{PID: 4242}, "kill 4242;", " on "},
		{nil, "Ctrl-C where it runs;", "or kill"},
	} {
		got := busyHint(tt.h)
		if !strings.Contains(got, tt.want) || tt.not != "" && strings.Contains(got, tt.not) {
			t.Errorf("%+v: %q; want %q and not %q", tt.h, got, tt.want, tt.not)
		}
	}
}
