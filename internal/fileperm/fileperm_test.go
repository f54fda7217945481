package fileperm

import (
	"io/fs"
	"testing"
)

func TestOpenToOthers(t *testing.T) {
	for _, tc := range []struct {
		goos string
		mode fs.FileMode
		want bool
	}{
		{"linux", 0o600, false},
		{"linux", 0o640, true},
		{"linux", 0o604, true},
		{"darwin", 0o700 | fs.ModeDir, false},
		{"darwin", 0o755 | fs.ModeDir, true},
		{"windows", 0o666, false}, // what Go reports for every writable file on Windows
		{"windows", 0o444, false},
	} {
		if got := openToOthers(tc.goos, tc.mode); got != tc.want {
			t.Errorf("%s %v: got %v, want %v", tc.goos, tc.mode, got, tc.want)
		}
	}
}
