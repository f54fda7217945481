// Package statedir says where bulk keeps its state (the run ledger, nightly job state, target
// profiles) when no --state is given, in one place for every platform.
package statedir

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Dir is the folder bulk's state lives in: on Windows %LOCALAPPDATA%\bulk (else
// %USERPROFILE%\AppData\Local\bulk); elsewhere $XDG_STATE_HOME/bulk, else ~/.local/state/bulk
// (the XDG default). getenv is os.Getenv outside tests.
func Dir(getenv func(string) string) (string, error) {
	return dirFor(runtime.GOOS, getenv, os.UserHomeDir)
}

// ErrNoHome says that no folder could be found; callers add which flag gives one.
var ErrNoHome = errors.New("cannot find a folder for bulk's state (no $HOME, or %LOCALAPPDATA% on Windows)")

// dirFor takes the platform as an argument so that the Windows branch is tested on Linux.
func dirFor(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	if goos == "windows" {
		// Local, not Roaming: the ledger is a SQLite database written often, and locks do not
		// travel with a roaming profile.
		if d := getenv("LOCALAPPDATA"); winAbs(d) {
			return winJoin(d, "bulk"), nil
		}
		p := getenv("USERPROFILE")
		if !winAbs(p) {
			h, err := home()
			if err != nil || h == "" {
				return "", ErrNoHome
			}
			p = h
		}
		return winJoin(p, "AppData", "Local", "bulk"), nil
	}
	// A relative XDG_STATE_HOME is invalid by the XDG spec and ignored.
	if d := getenv("XDG_STATE_HOME"); d != "" && strings.HasPrefix(d, "/") {
		return filepath.Join(d, "bulk"), nil
	}
	h := getenv("HOME")
	if h == "" {
		var err error
		if h, err = home(); err != nil || h == "" {
			return "", ErrNoHome
		}
	}
	return filepath.Join(h, ".local", "state", "bulk"), nil
}

// winAbs reports whether p is an absolute Windows path: a drive letter and a separator
// (C:\...), or a UNC path (\\server\share).
func winAbs(p string) bool {
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return len(p) > 2
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z')
}

// winJoin joins with backslashes whatever platform this runs on (filepath.Join would use '/'
// when the Windows branch runs in a test on Linux).
func winJoin(base string, elem ...string) string {
	return strings.TrimRight(base, `\/`) + `\` + strings.Join(elem, `\`)
}
