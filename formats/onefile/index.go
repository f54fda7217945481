package onefile

import (
	"hash/maphash"
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
