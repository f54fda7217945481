package fileperm

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// TestFolderWarning: an existing folder others may list gets one line naming it and the chmod
// to run (quoted for a shell when it needs it); a private folder, a missing one, a file and
// any folder on Windows get nothing.
func TestFolderWarning(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, mode fs.FileMode) string {
		p := filepath.Join(root, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	world := mk("world", 0o755)
	group := mk("group", 0o750)
	private := mk("private", 0o700)
	spaced := mk("it's mine", 0o705)
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		goos, dir string
		want      string // "" for no warning
	}{
		{"linux", world, "the report folder " + world + " can be opened by other users (mode 755) and its files hold personal data: run chmod 700 " + world},
		{"linux", group, "run chmod 700 " + group},
		{"darwin", spaced, `run chmod 700 '` + root + `/it'\''s mine'`},
		{"linux", private, ""},
		{"linux", filepath.Join(root, "missing"), ""},
		{"linux", file, ""},
		{"windows", world, ""},
	} {
		got := folderWarning(tc.goos, tc.dir)
		if tc.want == "" && got != "" || tc.want != "" && !strings.HasSuffix(got, tc.want) && got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.goos, tc.dir, got, tc.want)
		}
		if strings.Contains(got, "\n") {
			t.Errorf("%s: more than one line: %q", tc.dir, got)
		}
	}
}
