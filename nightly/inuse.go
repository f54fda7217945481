package nightly

import (
	"errors"
	"runtime"
	"syscall"
)

// Windows error numbers (winerror.h) for a file another program has open without sharing it for
// delete, as an exporter still writing has: NTFS then refuses the rename that claims it.
const (
	winErrorSharingViolation = 32
	winErrorLockViolation    = 33
)

// inUse reports whether a failed claim failed because another program still has the file open
// (Windows): the file is left for a later look, like a file that has not settled.
func inUse(err error) bool { return inUseOn(runtime.GOOS, err) }

// inUseOn takes the platform so that the Windows branch is tested on Linux (where 32 is EPIPE).
func inUseOn(goos string, err error) bool {
	var errno syscall.Errno
	if goos != "windows" || !errors.As(err, &errno) {
		return false
	}
	return errno == winErrorSharingViolation || errno == winErrorLockViolation
}
