package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// bulk probe onefile --format json gives the keys scripts rely on, with their types.
func TestProbeOnefileJSON(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	for _, keychain := range []bool{true, false} {
		box, url := startBox(t, sandbox.Config{Keychain: keychain})
		env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(t.TempDir(), "state")}
		code, stdout, stderr := bulkRun(t, env, "probe", "onefile", "--url", url, "--org", "5740", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var got struct {
			KeychainOn   *bool    `json:"keychain_on"`
			SearchFields []string `json:"search_fields"`
			AssignPath   string   `json:"assign_path"`
			Profile      string   `json:"profile"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		if got.KeychainOn == nil || *got.KeychainOn != keychain || len(got.SearchFields) == 0 || got.AssignPath != "unknown" ||
			!strings.HasPrefix(got.Profile, env["XDG_STATE_HOME"]) {
			t.Errorf("keychain %v: %s", keychain, stdout)
		}
	}
	if code, _, stderr := bulkRun(t, nil, "probe", "onefile", "--env", "beta", "--format", "xml"); code != 2 || !strings.Contains(stderr, "--format") {
		t.Errorf("--format xml: exit %d\n%s", code, stderr)
	}
}
