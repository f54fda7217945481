package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestVersionCommand runs 'bulk version' in process; the stamped values through -ldflags are
// checked on a built binary by TestReleaseReproducible (internal/version).
func TestVersionCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"version"}, 0, []string{"bulk ", "commit", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}},
		{[]string{"version", "--format", "json"}, 0, []string{`"go_version": "` + runtime.Version() + `"`, `"os": "` + runtime.GOOS + `"`}},
		{[]string{"version", "--format", "jsn"}, ExitCannotRun, []string{"Did you mean --format json?"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String()+errb.String(), w) {
					t.Errorf("missing %q in %s%s", w, out.String(), errb.String())
				}
			}
			if tc.code == 0 && strings.Contains(strings.Join(tc.args, " "), "json") {
				var m map[string]string
				if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["version"] == "" || m["commit"] == "" || m["arch"] != runtime.GOARCH {
					t.Errorf("json %v: %s", err, out.String())
				}
			}
		})
	}
}
