package read

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode/utf8"
)

// The shared string table.
//
// Cells refer to the table by index, in any order, so it is the one part a streaming reader
// must keep whole. Excel and LibreOffice store every text cell in it, so a learner workbook
// holds about five distinct strings per row (e-mail, MIS ID, ULN, NINO, phone): four million
// for a million rows. Kept as a []string that cost 16 bytes of header plus an allocation
// rounded up to its size class per string, 166 MB for a million learners (see docs/xlsx.md).
//
// So the table keeps the strings end to end, each after its length (a uvarint, one byte below
// 128), and where every sstBlock-th string starts: half a byte of index per string. String i
// is found by stepping over at most sstBlock-1 strings from the start of its block. While the
// table is under sstSpillAt bytes it is held in memory; past that it goes to a temporary file,
// read back through a window (the strings of a sheet are mostly read in the order the table
// holds them: writers add them in order of first use) and a cache for the strings read out of
// order (the names and codes repeated down a column), each of which costs one read of the file
// the first time. A cell's value is its own string, made when the cell is read.

// Tests lower these to run the file path on small workbooks.
var (
	sstSpillAt = 16 << 20 // bytes above which the table moves to a temporary file
	sstWindow  = 64 << 10 // bytes of the file read at a time for the strings read in order
)

// sstBlock strings share one entry of the index.
const sstBlock = 16

// sstCache is how many strings read out of order are kept, by index (direct-mapped): enough
// for the values repeated down a column (names, employers, postcodes) to be read from the file
// once, not every time. 1.5 MB of slots; at 4,096 a million-learner workbook read 2.2 million
// strings back from the file instead of 0.6 million (the 5,000 placement IDs alone overflow it).
const sstCache = 1 << 16

// sstSpillPart: a shared string part this many times the spill size goes to the file from its
// first string. Its text is then over the spill size unless each string carries more than
// three times its length in markup (LibreOffice writes 36 bytes around each plain string; rich
// text more); such a table is read from the file a little earlier than it need be, nothing worse.
const sstSpillPart = 4

// sstPeek is how much of the file is read for a string out of order: its block up to it, in
// one read for short strings; a longer one takes a second read.
const sstPeek = 1 << 10

type sharedStrings struct {
	n      int
	long   map[int]bool // strings longer than a cell can be, of which only the start is kept
	blocks []uint64     // where each block of sstBlock strings starts
	size   uint64       // bytes of the table: the strings and their lengths

	mem []byte // the table, while held in memory

	f      *os.File      // the table, once spilled
	w      *bufio.Writer // while the table is being built
	remove string        // the file to remove when closed (where it cannot be removed while open)
	win    []byte        // a window of the file, from winOff
	winOff uint64
	cache  []sstCached
	buf    []byte // a block read from the file for a string out of order
}

type sstCached struct {
	i1 int // the string's index + 1; 0: an empty slot
	s  string
}

// Len is the number of strings in the table.
func (s *sharedStrings) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// add appends a string to the table.
func (s *sharedStrings) add(text []byte) error {
	if s.n%sstBlock == 0 {
		s.blocks = append(s.blocks, s.size)
	}
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(len(text)))
	s.n++
	s.size += uint64(h + len(text))
	if s.f == nil {
		if len(s.mem)+h+len(text) <= sstSpillAt {
			s.mem = append(s.mem, hdr[:h]...)
			s.mem = append(s.mem, text...)
			return nil
		}
		// Before the append: growing the slice past the spill size would copy it.
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.w.Write(hdr[:h])
	_, err := s.w.Write(text)
	return err
}

// spill moves the table to a temporary file. The file is removed at once where the system
// allows it (it lives on while open, and nothing is left behind if bulk is killed); elsewhere
// when the table is closed.
func (s *sharedStrings) spill() error {
	f, err := os.CreateTemp("", "bulk-shared-strings-*")
	if err != nil {
		return fmt.Errorf("the workbook's shared strings (over %d MB) need a temporary file: %w; "+
			"set TMPDIR (TEMP on Windows) to a folder you can write to", sstSpillAt>>20, err)
	}
	if os.Remove(f.Name()) != nil {
		s.remove = f.Name()
	}
	s.f = f
	s.w = bufio.NewWriterSize(f, 1<<20)
	_, err = s.w.Write(s.mem)
	s.mem = nil
	return err
}

// built is called after the last add.
func (s *sharedStrings) built() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Flush()
	s.w = nil
	s.cache = make([]sstCached, sstCache)
	return err
}

// spillErr says what went wrong with the temporary file.
func (s *sharedStrings) spillErr(err error) error {
	dir := os.TempDir()
	return fmt.Errorf("keeping the workbook's shared strings (%d MB) in a temporary file in %s: %w; "+
		"free space there or set TMPDIR (TEMP on Windows) to a folder with room", s.size>>20, dir, err)
}

// nth returns the k-th string of the block that begins b, or false when b ends first.
func nth(b []byte, k int) ([]byte, bool) {
	for {
		n, h := binary.Uvarint(b)
		if h <= 0 || n > uint64(len(b)-h) {
			return nil, false
		}
		if k == 0 {
			return b[h : h+int(n)], true
		}
		b = b[h+int(n):]
		k--
	}
}

// get returns string i (0 <= i < Len()).
func (s *sharedStrings) get(i int) (string, error) {
	start, k := s.blocks[i/sstBlock], i%sstBlock
	if s.f == nil {
		v, _ := nth(s.mem[start:], k)
		return string(v), nil
	}
	if start >= s.winOff {
		if start < s.winOff+uint64(len(s.win)) {
			if v, ok := nth(s.win[start-s.winOff:], k); ok {
				return string(v), nil
			}
		}
		// Ahead of the window, or running past its end: the next strings in order. Move the
		// window on to the block.
		v, err := s.readBlock(&s.win, start, k, uint64(sstWindow))
		if err != nil {
			s.win = s.win[:0]
			return "", err
		}
		s.winOff = start
		return string(v), nil
	}
	// Behind the window: a string used again further down the sheet.
	c := &s.cache[i&(sstCache-1)]
	if c.i1 == i+1 {
		return c.s, nil
	}
	v, err := s.readBlock(&s.buf, start, k, sstPeek)
	if err != nil {
		return "", err
	}
	*c = sstCached{i1: i + 1, s: string(v)}
	return c.s, nil
}

// readBlock reads into *buf the file from start, at least n bytes and as many more as the
// k-th string of the block needs, and returns that string.
func (s *sharedStrings) readBlock(buf *[]byte, start uint64, k int, n uint64) ([]byte, error) {
	n = max(n, 64) // doubled until the string is in
	for {
		n = min(n, s.size-start)
		if uint64(cap(*buf)) < n {
			*buf = make([]byte, n)
		}
		*buf = (*buf)[:n]
		if _, err := s.f.ReadAt(*buf, int64(start)); err != nil {
			return nil, s.spillErr(err)
		}
		if v, ok := nth(*buf, k); ok {
			return v, nil
		}
		if n == s.size-start {
			return nil, s.spillErr(errors.New("the file is shorter than what was written to it"))
		}
		n *= 2
	}
}

// Close releases the temporary file, if any.
func (s *sharedStrings) Close() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	if s.remove != "" {
		if rerr := os.Remove(s.remove); err == nil {
			err = rerr
		}
	}
	s.f = nil
	return err
}

// sharedStrings reads the shared string table: each <si>'s text, its rich-text runs joined,
// phonetic runs (<rPh>) left out, _xHHHH_ escapes undone.
func (k *pkg) sharedStrings(part string) (*sharedStrings, error) {
	if part == "" {
		return nil, nil
	}
	zf := k.find(part)
	d, c, err := k.open(part, k.lim.sst)
	if err != nil || d == nil {
		return nil, err
	}
	defer c.Close()
	s := &sharedStrings{}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	if zf.UncompressedSize64 > sstSpillPart*uint64(sstSpillAt) {
		// Surely over the spill size: straight to the file, without first filling (and then
		// dropping) sstSpillAt bytes of memory, which the collector would let the heap double.
		if err := s.spill(); err != nil {
			return nil, err
		}
	} else {
		// The text is shorter than the part's XML, so the part's size bounds what memory the
		// text needs below the spill size, without growing it by copies.
		s.mem = make([]byte, 0, min(zf.UncompressedSize64, uint64(sstSpillAt)))
	}
	var (
		raw, text []byte
		inT       bool
		long      bool // the string is longer than a cell can be: only its start is kept
		depth     int  // inside <rPh> (phonetic reading): its text is not part of the value
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				raw, long = raw[:0], false
			case "t":
				inT = depth == 0
			case "rPh":
				depth++
			case "sst":
				// A hint only: the index grows as needed, and a false count costs little.
				if n, err := strconv.Atoi(attr(t, "uniqueCount")); err == nil && n > 0 {
					s.blocks = make([]uint64, 0, min(n, int(zf.UncompressedSize64/5))/sstBlock+1)
				}
			}
		case xml.CharData:
			if inT {
				raw = appendCell(raw, t, &long)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "rPh":
				depth--
			case "si":
				v := raw
				if bytes.Contains(raw, []byte("_x")) {
					text = appendUnescapeST(text[:0], raw)
					v = text
				}
				if long {
					// Kept one character past the limit, so the cells that use it are found too
					// long, without holding the rest of it.
					v = truncateChars(v, MaxCellChars+1)
					if s.long == nil {
						s.long = map[int]bool{}
					}
					s.long[s.n] = true
				}
				if err := s.add(v); err != nil {
					return nil, s.spillErr(err)
				}
			}
		}
	}
	if err := s.built(); err != nil {
		return nil, s.spillErr(err)
	}
	ok = true
	return s, nil
}

// sstIndex reads a shared string cell's value, an index into the table.
func sstIndex(v []byte) (int, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 9 {
		return strconv.Atoi(string(v))
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return strconv.Atoi(string(v)) // a sign, or no number: as strconv reads it
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// unescapeST decodes the _xHHHH_ escapes of ST_Xstring (ECMA-376 Part 1, 22.9.2.19): characters
// XML cannot hold, such as a carriage return (_x000D_), and _x005F_ for a literal underscore.
func unescapeST(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '_' && s[i+1] == 'x' {
			return string(appendUnescapeST(nil, s))
		}
	}
	return s
}

// appendUnescapeST appends s to dst with its _xHHHH_ escapes decoded.
func appendUnescapeST[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+6 < len(s) && s[i+1] == 'x' && s[i+6] == '_' {
			if r, ok := hex4(s[i+2], s[i+3], s[i+4], s[i+5]); ok {
				dst = utf8.AppendRune(dst, r)
				i += 6
				continue
			}
		}
		dst = append(dst, s[i])
	}
	return dst
}

func hex4(a, b, c, d byte) (rune, bool) {
	var r rune
	for _, x := range [4]byte{a, b, c, d} {
		switch {
		case x >= '0' && x <= '9':
			r = r<<4 | rune(x-'0')
		case x >= 'a' && x <= 'f':
			r = r<<4 | rune(x-'a'+10)
		case x >= 'A' && x <= 'F':
			r = r<<4 | rune(x-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// truncateChars returns the first n characters of b (UTF-8), or b when it is shorter.
func truncateChars(b []byte, n int) []byte {
	for i := range string(b) {
		if n == 0 {
			return b[:i]
		}
		n--
	}
	return b
}
