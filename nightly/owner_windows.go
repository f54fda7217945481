//go:build windows

package nightly

import "os"

type owner struct {
	uid, gid uint32
	nlink    uint64
}

// ownerOf: Windows's stat tells neither a Unix owner nor a link count; only the symbolic-link
// and regular-file checks apply there (docs/nightly.md).
func ownerOf(os.FileInfo) (owner, bool) { return owner{}, false }
