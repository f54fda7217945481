// Package fileperm answers "can other users read this?" from a file's mode, on every platform.
package fileperm

import (
	"io/fs"
	"runtime"
)

// OpenToOthers reports whether mode lets the group or others in (read, write or enter), for a
// warning such as "run chmod 600". On Windows it is always false: access there is decided by
// ACLs, and Go reports every file as 0666 (0444 when read-only), so the bits say nothing and
// the warning would fire on every file.
func OpenToOthers(mode fs.FileMode) bool { return openToOthers(runtime.GOOS, mode) }

func openToOthers(goos string, mode fs.FileMode) bool {
	return goos != "windows" && mode.Perm()&0o077 != 0
}
