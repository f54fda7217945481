// Package version says which bulk this is. The release command (scripts/release.sh) stamps
// Version and Commit in with -ldflags "-X ..."; a plain 'go build' or 'go install' leaves them
// empty and Get falls back to what the Go toolchain recorded (module version, VCS revision).
// No build time is stamped, so the same commit builds the same bytes.
package version

import (
	"runtime"
	"runtime/debug"
)

// Set by the linker: -X github.com/bulkload/bulk/internal/version.Version=v1.2.3 and
// -X github.com/bulkload/bulk/internal/version.Commit=<full hash>.
var (
	Version string
	Commit  string
)

// Info is what 'bulk version' prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Get returns the stamped values, else those the toolchain recorded, else "dev" and "unknown".
func Get() Info {
	return get(Version, Commit, debug.ReadBuildInfo)
}

func get(v, c string, read func() (*debug.BuildInfo, bool)) Info {
	in := Info{Version: v, Commit: c, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := read(); ok && bi != nil {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version // go install github.com/bulkload/bulk/cmd/bulk@v1.2.3
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && in.Commit == "" {
				in.Commit = s.Value
			}
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}

// String is the one line summary.json's bulk_version carries: "v1.2.3 (1a2b3c4d5e6f)".
func String() string {
	in := Get()
	c := in.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	return in.Version + " (" + c + ")"
}
