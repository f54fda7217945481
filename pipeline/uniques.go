package pipeline

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"unicode/utf8"
)

// uniques finds repeated values of Unique fields within a kind, across all its tables. Per key it
// keeps a 64-bit fingerprint and where the key was first seen, nothing more: 12 bytes in a table
// kept 53-80% full, so a million learners with three unique fields (3M keys) take about 48 MB. Two different keys sharing a fingerprint is a 1-in-2^64 event per pair; it would show as
// a duplicate naming a row whose value differs, which a reader can see.
//
// Where a key was first seen is one uint32: the row number plus the table's base, the sum of the
// row numbers of the tables before it (the sequencer sees tables one after another).
type uniques struct {
	seed  maphash.Seed
	salts map[*Kind][]uint64 // per field: mixed into the value's hash so equal values of different fields differ
	tab   fpTable
	// tables in the order first seen, with their bases (ascending)
	srcs  []*Source
	bases []uint32
	cur   *Source
	top   uint32 // highest location used so far
	sink  uint32 // keeps prefetch's loads from being optimised away
}

// ukey is the fingerprint of one Unique field's value on a row, computed by the row workers so
// that the in-order sequencer only looks it up. A batch keeps its rows' keys in one array, in
// row order (row is the index in the batch): the sequencer reads them as one stream, and its
// lookups ahead of time (prefetch) do not wait on each row's own memory first.
type ukey struct {
	fp    uint64
	row   int32
	field int32
}

func newUniques() *uniques {
	return &uniques{seed: maphash.MakeSeed(), salts: map[*Kind][]uint64{}}
}

// free releases the table's memory (it is outside Go's heap on Unix).
func (u *uniques) free() { u.tab.free() }

// saltsOf returns the per-field salts of kind k, or nil when k has no Unique field. It is called
// by the reader goroutine as each table starts.
func (u *uniques) saltsOf(k *Kind) []uint64 {
	s, ok := u.salts[k]
	if !ok {
		for f := range k.Fields {
			if k.Fields[f].Unique {
				if s == nil {
					s = make([]uint64, len(k.Fields))
				}
				s[f] = u.salt(k, f)
			}
		}
		u.salts[k] = s
	}
	return s
}

// salt is what saltsOf gives field f of kind k.
// It is never 0, which in saltsOf's answer marks a field that is not Unique.
func (u *uniques) salt(k *Kind, f int) uint64 {
	return max(maphash.String(u.seed, k.Name+"\x00"+k.Fields[f].Name), 1)
}

// fingerprint is the key of a value already folded to lower case, in the field of salt.
func (u *uniques) fingerprint(folded []byte, salt uint64) uint64 {
	return mix64(maphash.Bytes(u.seed, folded) ^ salt)
}

// keys appends to out the fingerprints of row r's Unique fields' values, ignoring case; row is
// r's index in its batch. scratch is the calling worker's buffer for case folding.
func (u *uniques) keys(out []ukey, r *Row, row int, salts []uint64, scratch *[]byte) []ukey {
	if salts == nil {
		return out
	}
	// The salts say which fields are Unique (0: not): ranging over the kind's Fields instead
	// copied every Field, a few hundred bytes each, for every row.
	for f, salt := range salts {
		if salt == 0 || !r.Has(f) {
			continue
		}
		v := r.Value(f)
		if v == "" {
			continue
		}
		var h uint64
		if lowerASCII(v) {
			h = maphash.String(u.seed, v) // the same hash as of the folded bytes, without the copy
		} else {
			*scratch = fold(*scratch, v)
			h = maphash.Bytes(u.seed, *scratch)
		}
		out = append(out, ukey{fp: mix64(h ^ salt), row: int32(row), field: int32(f)})
	}
	return out
}

// loc returns the location of row r in the one numbering shared by all tables.
func (u *uniques) loc(src *Source, row int) uint32 {
	if src != u.cur {
		base := uint32(0)
		if len(u.bases) > 0 {
			base = u.top + 1
		}
		u.srcs = append(u.srcs, src)
		u.bases = append(u.bases, base)
		u.cur = src
	}
	l := u.bases[len(u.bases)-1] + uint32(row)
	if l > u.top {
		u.top = l
	}
	return l
}

// where finds the table and row of a location.
func (u *uniques) where(l uint32) (*Source, int) {
	i := sort.Search(len(u.bases), func(i int) bool { return u.bases[i] > l }) - 1
	return u.srcs[i], int(l - u.bases[i])
}

// lowerASCII reports whether v is ASCII without capitals, so that fold would copy it unchanged
// (most e-mail addresses and many references). It looks at eight bytes at a time: this runs for
// every key of every row, and a byte loop over e-mail addresses was half the cost of the keys.
func lowerASCII(v string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(v[i : i+8]))
		if x&highs != 0 {
			return false // a byte beyond ASCII
		}
		// With every high bit clear no byte carries into the next: a byte's high bit is set in
		// x+(0x80-'A') when it is 'A' or above, and in x+(0x80-'Z'-1) when it is above 'Z'.
		if (x+(0x80-'A')*ones)&^(x+(0x80-'Z'-1)*ones)&highs != 0 {
			return false
		}
	}
	for ; i < len(v); i++ {
		if c := v[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// fold writes v in lower case into b, without allocating for ASCII.
func fold(b []byte, v string) []byte {
	b = b[:0]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			return append(b[:0], strings.ToLower(v)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// expect makes room for the keys of a table of about rows rows, before its first row: growing
// the index as keys arrive moves every key again at each step, and those moves cost as much as
// the lookups themselves.
func (u *uniques) expect(rows int, salts []uint64) {
	n := 0
	for _, s := range salts {
		if s != 0 {
			n++
		}
	}
	u.tab.reserve(u.tab.len() + rows*n)
}

// prefetch reads the home slot of every key of a batch ahead of the in-order lookups. The
// loads do not depend on each other, so the processor overlaps their cache misses instead of
// waiting for each in turn: with millions of keys nearly every lookup is a miss.
func (u *uniques) prefetch(keys []ukey) {
	var x uint32
	for i := range keys {
		x += u.tab.peek(keys[i].fp)
	}
	u.sink += x
}

// check looks up the keys of row r (its entries of the batch's keys), in input order: a key seen
// before makes the row a duplicate.
func (u *uniques) check(r *Row, keys []ukey) {
	if len(keys) == 0 {
		return
	}
	l := u.loc(r.Rec.Src, r.Rec.Row)
	for _, k := range keys {
		prev, seen := u.tab.insert(k.fp, l)
		if !seen {
			continue
		}
		f := int(k.field)
		fd := &r.Map.Kind.Fields[f]
		psrc, prow := u.where(prev)
		where := fmt.Sprintf("row %d", prow)
		if psrc != r.Rec.Src {
			where = fmt.Sprintf("row %d of %s", prow, psrc.Where())
		}
		r.Errorf(f, RuleDuplicate, "%s %q already appears on %s; each value may appear only once, so this row is rejected.", fd.Name, r.Value(f), where)
	}
}

// mix64 is a bijective finaliser (from MurmurHash3): it spreads the salt through all bits, so
// the table's slot (low bits) and part (high bits) both depend on the whole key.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// fpTable maps fingerprints to locations: open addressing in 8 parts chosen by the
// fingerprint's top bits, over buckets of one cache line each (five fingerprints and their
// locations, 64 bytes). A key lives in its home bucket unless that bucket was full when it came,
// then in the next with room; nothing is ever removed, so a bucket with a free slot ends a search.
// One bucket is one cache miss: with 12-byte slots probed one by one (the first design), a
// table four-fifths full needed about 13 slots, two or three lines, for each new key, and only
// the first line was prefetched. A part grows by half when four-fifths full; parts grow one at a
// time, so growing needs a few megabytes more for a moment, never twice the whole table.
type fpTable struct {
	parts [8]fpPart
}

// bucketSlots is the number of keys a bucket holds.
const bucketSlots = 5

// bucket is one cache line: fingerprints (0 = empty), then their locations.
type bucket struct {
	fp  [bucketSlots]uint64
	loc [bucketSlots]uint32
	_   uint32
}

// bucketSize is the bytes of a bucket; allocSlots' sizes are multiples of it.
const bucketSize = 64

type fpPart struct {
	mem     *slotMem
	buckets []bucket
	n       int
}

// fpPartMin is a part's first size in bytes (see nextSize for the rest).
const fpPartMin = 64 << 10

// hugePage is the size of a transparent huge page on Linux (x86-64 and most arm64 kernels).
const hugePage = 2 << 20

// home is fp's first bucket among n: the low half scaled onto n, which need not be a power of two.
func home(fp uint64, n int) int { return int(uint64(uint32(fp)) * uint64(n) >> 32) }

// insert records fp at loc l unless it is there already; then it returns the first location.
func (t *fpTable) insert(fp uint64, l uint32) (uint32, bool) {
	if fp == 0 {
		fp = 1 // 0 marks an empty slot
	}
	p := &t.parts[fp>>61]
	if p.mem == nil {
		p.alloc(fpPartMin)
	} else if 5*(p.n+1) > 4*bucketSlots*len(p.buckets) {
		p.grow()
	}
	bs := p.buckets
	for i := home(fp, len(bs)); ; {
		b := &bs[i]
		for j := range b.fp {
			switch b.fp[j] {
			case fp:
				return b.loc[j], true
			case 0:
				b.fp[j], b.loc[j] = fp, l
				p.n++
				return 0, false
			}
		}
		if i++; i == len(bs) {
			i = 0
		}
	}
}

// find returns the location recorded for fp, if any.
func (t *fpTable) find(fp uint64) (uint32, bool) {
	if fp == 0 {
		fp = 1
	}
	bs := t.parts[fp>>61].buckets
	if len(bs) == 0 {
		return 0, false
	}
	for i := home(fp, len(bs)); ; {
		b := &bs[i]
		for j := range b.fp {
			switch b.fp[j] {
			case fp:
				return b.loc[j], true
			case 0:
				return 0, false
			}
		}
		if i++; i == len(bs) {
			i = 0
		}
	}
}

// peek loads fp's home bucket.
func (t *fpTable) peek(fp uint64) uint32 {
	bs := t.parts[fp>>61].buckets
	if len(bs) == 0 {
		return 0
	}
	return uint32(bs[home(fp, len(bs))].fp[0])
}

func (p *fpPart) alloc(bytes int) {
	p.mem = allocSlots(bytes)
	p.buckets = p.mem.buckets
}

func (p *fpPart) grow() { p.resize(nextSize(len(p.mem.bytes()))) }

func (p *fpPart) resize(size int) {
	old, olds := p.mem, p.buckets
	p.alloc(size)
	bs := p.buckets
	for k := range olds {
		for j, fp := range olds[k].fp {
			if fp == 0 {
				break
			}
			for i := home(fp, len(bs)); ; {
				b := &bs[i]
				placed := false
				for s := range b.fp {
					if b.fp[s] == 0 {
						b.fp[s], b.loc[s] = fp, olds[k].loc[j]
						placed = true
						break
					}
				}
				if placed {
					break
				}
				if i++; i == len(bs) {
					i = 0
				}
			}
		}
	}
	old.free()
}

func (t *fpTable) len() int {
	n := 0
	for i := range t.parts {
		n += t.parts[i].n
	}
	return n
}

// reserve sizes the parts for keys keys in all, each at most four-fifths full.
func (t *fpTable) reserve(keys int) {
	per := (keys + len(t.parts) - 1) / len(t.parts)
	size := (per*5/4 + bucketSlots - 1) / bucketSlots * bucketSize
	if size < fpPartMin {
		return
	}
	if size >= hugePage {
		size = (size + hugePage - 1) / hugePage * hugePage
	}
	for i := range t.parts {
		p := &t.parts[i]
		if p.mem == nil {
			p.alloc(size)
		} else if size > len(p.mem.bytes()) {
			p.resize(size)
		}
	}
}

// nextSize grows a part by half: kept at most four-fifths full, a part then has between 53% and
// 80% of its slots in use. From 2 MiB up sizes stay whole huge pages.
func nextSize(cur int) int {
	n := cur + cur/2
	if n >= hugePage {
		n = (n + hugePage - 1) / hugePage * hugePage
	}
	return n
}

func (t *fpTable) free() {
	for i := range t.parts {
		if t.parts[i].mem != nil {
			t.parts[i].mem.free()
			t.parts[i] = fpPart{}
		}
	}
}
