package pipeline

import "syscall"

// adviseHuge asks for transparent huge pages; an error (a kernel without them) changes nothing
// but speed.
func adviseHuge(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
