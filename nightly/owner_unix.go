//go:build unix

package nightly

import (
	"os"
	"syscall"
)

type owner struct {
	uid, gid uint32
	nlink    uint64
}

// ownerOf reads a file's owner and link count from its stat.
func ownerOf(st os.FileInfo) (owner, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{uid: s.Uid, gid: s.Gid, nlink: uint64(s.Nlink)}, true
}
