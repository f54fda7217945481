//go:build unix

package pipeline

import (
	"syscall"
	"unsafe"
)

// slotMem holds a part of the unique-key table. On Unix it lives in memory mapped straight from
// the kernel, outside Go's heap: Go's collector lets the heap grow to twice what is live before it
// collects, and with tens of megabytes of keys live that doubling alone would break the 100 MB
// budget. Outside the heap the table costs exactly its size, and its pages are given back the
// moment it is freed.
//
// Parts of 2 MiB and more are asked for in 2 MiB pages where the kernel offers them (Linux
// transparent huge pages, "madvise" mode): keys land at random places, and with 4 KiB pages every
// first touch is a page fault; on a virtual machine thousands of those cost more than the hashing.
type slotMem struct {
	mapping []byte // as mapped (with alignment slack), for munmap
	mem     []byte // the buckets' bytes
	buckets []bucket
}

func allocSlots(size int) *slotMem {
	extra := 0
	if size >= hugePage && size%hugePage == 0 {
		extra = hugePage // room to align the start on a huge page; never touched
	}
	m, err := syscall.Mmap(-1, 0, size+extra, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return heapSlots(size) // no mapping to be had: the heap still works, only less tightly
	}
	off := 0
	if a := uintptr(unsafe.Pointer(&m[0])) % hugePage; extra > 0 && a != 0 {
		off = int(hugePage - a)
	}
	mem := m[off : off+size]
	if extra > 0 {
		adviseHuge(mem)
	}
	// The mapping is zeroed and page-aligned, so each bucket is one whole cache line.
	return &slotMem{mapping: m, mem: mem, buckets: unsafe.Slice((*bucket)(unsafe.Pointer(&mem[0])), size/bucketSize)}
}

func (s *slotMem) bytes() []byte { return s.mem }

func (s *slotMem) free() {
	if s.mapping != nil {
		_ = syscall.Munmap(s.mapping)
	}
	*s = slotMem{}
}

func heapSlots(size int) *slotMem {
	s := make([]bucket, size/bucketSize)
	return &slotMem{mem: unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*bucketSize), buckets: s}
}
