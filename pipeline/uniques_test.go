package pipeline

import (
	"math/rand/v2"
	"testing"
)

func TestFPTableGrowsAndKeepsFirstLocations(t *testing.T) {
	var tab fpTable
	defer tab.free()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 300000 // enough for every part to double several times
	fps := make([]uint64, n)
	for i := range fps {
		fps[i] = rng.Uint64()
		if _, seen := tab.insert(fps[i], uint32(i)); seen {
			t.Fatalf("key %d reported seen on first insert", i)
		}
	}
	for i, fp := range fps {
		l, seen := tab.insert(fp, uint32(n+i))
		if !seen || l != uint32(i) {
			t.Fatalf("key %d: seen=%v first=%d, want first=%d", i, seen, l, i)
		}
	}
	for i, fp := range fps {
		if l, ok := tab.find(fp); !ok || l != uint32(i) {
			t.Fatalf("find key %d: %d %v, want %d", i, l, ok, i)
		}
		if _, ok := tab.find(fp ^ 1<<40); ok {
			t.Fatalf("find matched a key never inserted (%d)", i)
		}
	}
	if _, seen := tab.insert(0, 1); seen {
		t.Fatal("fingerprint 0 is a key like any other")
	}
	if l, seen := tab.insert(0, 2); !seen || l != 1 {
		t.Fatalf("fingerprint 0 again: %d %v", l, seen)
	}
}

// Keys sharing a home bucket fill it, then spill into the next ones, wrapping past the last
// bucket to the first; every one must still be found, and found first where it was put.
func TestFPTableFullBucketsSpillAndWrap(t *testing.T) {
	var tab fpTable
	defer tab.free()
	const n = 4*bucketSlots + 3
	fp := func(i int) uint64 { return uint64(i+1)<<32 | 0xffffffff } // part 0, home: the last bucket
	for i := 0; i < n; i++ {
		if _, seen := tab.insert(fp(i), uint32(100+i)); seen {
			t.Fatalf("key %d reported seen on first insert", i)
		}
	}
	bs := tab.parts[0].buckets
	if last := bs[len(bs)-1]; last.fp[bucketSlots-1] == 0 {
		t.Fatal("the home bucket is not full")
	}
	if bs[0].fp[0] != fp(bucketSlots) {
		t.Fatalf("the sixth key is not in the first bucket after wrapping: %x", bs[0].fp[0])
	}
	for i := 0; i < n; i++ {
		if l, seen := tab.insert(fp(i), 1); !seen || l != uint32(100+i) {
			t.Fatalf("key %d again: first=%d seen=%v, want %d", i, l, seen, 100+i)
		}
		if l, ok := tab.find(fp(i)); !ok || l != uint32(100+i) {
			t.Fatalf("find key %d: %d %v", i, l, ok)
		}
	}
	if _, ok := tab.find(fp(n)); ok {
		t.Fatal("found a key that was never inserted")
	}
}

func TestUniquesLocationsAcrossTables(t *testing.T) {
	u := newUniques()
	defer u.free()
	a, b, c := &Source{File: "a.csv"}, &Source{File: "b.csv"}, &Source{File: "c.csv"}
	var locs []uint32
	for _, x := range []struct {
		src *Source
		row int
	}{{a, 2}, {a, 7}, {a, 300}, {b, 2}, {b, 3}, {c, 9}} {
		locs = append(locs, u.loc(x.src, x.row))
	}
	want := []struct {
		src *Source
		row int
	}{{a, 2}, {a, 7}, {a, 300}, {b, 2}, {b, 3}, {c, 9}}
	for i, l := range locs {
		src, row := u.where(l)
		if src != want[i].src || row != want[i].row {
			t.Errorf("location %d is %s row %d, want %s row %d", l, src.File, row, want[i].src.File, want[i].row)
		}
	}
}

// lowerASCII reads eight bytes at a time: it must agree with the plain byte loop for capitals,
// bytes beyond ASCII and the bytes either side of 'A' and 'Z', at every position and length.
func TestLowerASCII(t *testing.T) {
	plain := func(v string) bool {
		for i := 0; i < len(v); i++ {
			if c := v[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
				return false
			}
		}
		return true
	}
	for _, c := range []byte{'@', 'A', 'M', 'Z', '[', 'a', 'z', '0', 0x7f, 0x80, 0xc3, 0xff, 0} {
		for n := 1; n <= 20; n++ {
			for at := 0; at < n; at++ {
				b := []byte("abcdefghijklmnopqrst"[:n])
				b[at] = c
				if got, want := lowerASCII(string(b)), plain(string(b)); got != want {
					t.Fatalf("lowerASCII(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	if !lowerASCII("") {
		t.Error(`lowerASCII("") = false`)
	}
}
