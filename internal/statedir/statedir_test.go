package statedir

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestDirFor(t *testing.T) {
	noHome := func() (string, error) { return "", errors.New("no home") }
	home := func() (string, error) { return "/home/ann", nil }
	winHome := func() (string, error) { return `C:\Users\Ann Smith`, nil }
	for _, tc := range []struct {
		name string
		goos string
		env  map[string]string
		home func() (string, error)
		want string
		err  bool
	}{
		{"windows LOCALAPPDATA", "windows", map[string]string{"LOCALAPPDATA": `C:\Users\Ann Smith\AppData\Local`, "XDG_STATE_HOME": "/x"}, noHome, `C:\Users\Ann Smith\AppData\Local\bulk`, false},
		{"windows LOCALAPPDATA with a trailing separator", "windows", map[string]string{"LOCALAPPDATA": `D:\Data\`}, noHome, `D:\Data\bulk`, false},
		{"windows UNC profile", "windows", map[string]string{"LOCALAPPDATA": `\\fs01\profiles\ann\Local`}, noHome, `\\fs01\profiles\ann\Local\bulk`, false},
		{"windows relative LOCALAPPDATA falls back to USERPROFILE", "windows", map[string]string{"LOCALAPPDATA": `AppData`, "USERPROFILE": `C:\Users\ann`}, noHome, `C:\Users\ann\AppData\Local\bulk`, false},
		{"windows falls back to the home folder", "windows", nil, winHome, `C:\Users\Ann Smith\AppData\Local\bulk`, false},
		{"windows with nothing", "windows", nil, noHome, "", true},
		{"linux XDG_STATE_HOME", "linux", map[string]string{"XDG_STATE_HOME": "/var/state", "LOCALAPPDATA": `C:\x`}, noHome, "/var/state/bulk", false},
		{"linux relative XDG_STATE_HOME is ignored", "linux", map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/bo"}, noHome, "/home/bo/.local/state/bulk", false},
		{"darwin HOME", "darwin", map[string]string{"HOME": "/Users/cy"}, noHome, "/Users/cy/.local/state/bulk", false},
		{"linux home from the system", "linux", nil, home, "/home/ann/.local/state/bulk", false},
		{"linux with nothing", "linux", nil, noHome, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dirFor(tc.goos, func(k string) string { return tc.env[k] }, tc.home)
			if tc.err {
				if !errors.Is(err, ErrNoHome) {
					t.Fatalf("got %q, %v; want ErrNoHome", got, err)
				}
				return
			}
			if err != nil || filepath.ToSlash(got) != filepath.ToSlash(tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
