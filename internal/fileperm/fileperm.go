// Package fileperm answers "can other users read this?" from a file's mode, on every platform.
package fileperm

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
)

// OpenToOthers reports whether mode lets the group or others in (read, write or enter), for a
// warning such as "run chmod 600". On Windows it is always false: access there is decided by
// ACLs, and Go reports every file as 0666 (0444 when read-only), so the bits say nothing and
// the warning would fire on every file.
func OpenToOthers(mode fs.FileMode) bool { return openToOthers(runtime.GOOS, mode) }

func openToOthers(goos string, mode fs.FileMode) bool {
	return goos != "windows" && mode.Perm()&0o077 != 0
}

// FolderWarning is one line for the person running bulk when dir is an existing folder that
// other users may list or enter (group or others bits set): bulk makes its report files 0600,
// but a folder listing still shows whose data is there (rejects of a named file, credentials),
// and a folder the owner created is left as it is. It names the folder and the chmod to run,
// and is "" when there is nothing to say (no such folder, a private one, Windows).
func FolderWarning(dir string) string { return folderWarning(runtime.GOOS, dir) }

func folderWarning(goos, dir string) string {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() || !openToOthers(goos, st.Mode()) {
		return ""
	}
	return fmt.Sprintf("the report folder %s can be opened by other users (mode %o) and its files hold personal data: run chmod 700 %s",
		dir, st.Mode().Perm(), shellQuote(dir))
}

// shellQuote quotes p for a POSIX shell when it needs it, so the chmod can be pasted.
func shellQuote(p string) string {
	if p != "" && strings.IndexFunc(p, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%", r))
	}) < 0 {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
