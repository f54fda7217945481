//go:build !unix

package pipeline

import "unsafe"

// slotMem holds a part of the unique-key table, on Go's heap where memory cannot be mapped
// directly (see the Unix version for why it is mapped there).
type slotMem struct {
	mem     []byte
	buckets []bucket
}

func allocSlots(size int) *slotMem {
	s := make([]bucket, size/bucketSize)
	return &slotMem{mem: unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*bucketSize), buckets: s}
}

func (s *slotMem) bytes() []byte { return s.mem }

func (s *slotMem) free() { *s = slotMem{} }
