package onefile

import (
	"hash/maphash"
	"sort"
)

// person is where a user row is and what it is: 8 bytes, no strings. The index keeps these,
// never rows, so a million learners cost tens of megabytes, not gigabytes.
type person struct {
	row   uint32 // as the spreadsheet numbers it
	tbl   uint16 // pipeline.Source.Index
	role  uint8  // 0: the row's Role is empty or not a role
	flags uint8
}

const rejectedFlag = 1 // the row had an error when it was indexed

func (p person) before(q person) bool {
	return p.tbl < q.tbl || p.tbl == q.tbl && p.row < q.row
}

// keyed is one key (a MISID or an e-mail, fingerprinted) of a person.
type keyed struct {
	key uint64
	p   person
}

// keyer fingerprints MISIDs and e-mails: 64 bits of maphash over the key's type and its value
// folded to lower case (as the pipeline's duplicate check folds it). Two different values
// sharing a fingerprint is a 1-in-2^64 event per pair.
type keyer struct{ seed maphash.Seed }

const (
	keyMISID = 'm'
	keyEmail = 'e'
)

func (k keyer) key(typ byte, v string) uint64 {
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteByte(typ)
	writeFolded(&h, v)
	return h.Sum64()
}

// writeFolded hashes v with ASCII letters in lower case, without allocating: runs without
// upper-case letters are written whole.
func writeFolded(h *maphash.Hash, v string) {
	start := 0
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 'A' && c <= 'Z' {
			h.WriteString(v[start:i])
			h.WriteByte(c + 'a' - 'A')
			start = i + 1
		}
	}
	h.WriteString(v[start:])
}

// store is an append-only list of keyed persons in fixed-size chunks (growing never copies what
// is there), sorted on demand for binary search. Among equal keys the earliest row sorts first,
// so a lookup finds the first occurrence, as duplicate detection does.
type store struct {
	chunks [][]keyed
	n      int
	sorted int // entries [0, sorted) are in order
}

const chunkBits = 14 // 16,384 entries (256 KiB) per chunk

func (s *store) at(i int) *keyed { return &s.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (s *store) add(e keyed) {
	if s.n>>chunkBits == len(s.chunks) {
		s.chunks = append(s.chunks, make([]keyed, 0, 1<<chunkBits))
	}
	c := &s.chunks[len(s.chunks)-1]
	*c = append(*c, e)
	s.n++
}

func (s *store) Len() int      { return s.n }
func (s *store) Swap(i, j int) { a, b := s.at(i), s.at(j); *a, *b = *b, *a }
func (s *store) Less(i, j int) bool {
	a, b := s.at(i), s.at(j)
	return a.key < b.key || a.key == b.key && a.p.before(b.p)
}

// sortAll puts every entry in order.
func (s *store) sortAll() {
	if s.sorted < s.n {
		sort.Sort(s)
		s.sorted = s.n
	}
}

// find returns the earliest person with key among the sorted entries.
func (s *store) find(key uint64) (person, bool) {
	lo, hi := 0, s.sorted // a hand-written sort.Search: no closure call per step
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.chunks[m>>chunkBits][m&(1<<chunkBits-1)].key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < s.sorted {
		if e := s.at(lo); e.key == key {
			return e.p, true
		}
	}
	return person{}, false
}

// each calls f for every entry, in no particular order.
func (s *store) each(f func(e *keyed)) {
	for _, c := range s.chunks {
		for i := range c {
			f(&c[i])
		}
	}
}

// unsorted reports how many entries were added since the last sort.
func (s *store) unsorted() int { return s.n - s.sorted }
