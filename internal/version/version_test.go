package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGet(t *testing.T) {
	recorded := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "feedc0de"}}}, true
	}
	devel := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name, v, c        string
		read              func() (*debug.BuildInfo, bool)
		wantV, wantCommit string
	}{
		{"stamped wins over recorded", "v1.2.3", "abc123", recorded, "v1.2.3", "abc123"},
		{"go install records the module version", "", "", recorded, "v0.9.0", "feedc0de"},
		{"a source build is dev", "", "", devel, "dev", "unknown"},
		{"no build info", "", "", none, "dev", "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := get(tc.v, tc.c, tc.read)
			if in.Version != tc.wantV || in.Commit != tc.wantCommit {
				t.Errorf("got %s %s, want %s %s", in.Version, in.Commit, tc.wantV, tc.wantCommit)
			}
			if in.GoVersion != runtime.Version() || in.OS != runtime.GOOS || in.Arch != runtime.GOARCH {
				t.Errorf("platform %+v", in)
			}
		})
	}
}
