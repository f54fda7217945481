package read

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
	"golang.org/x/text/encoding/charmap"

	"github.com/bulkload/bulk/pipeline"
)

// encoding is a text encoding a CSV file may be in.
type encoding uint8

const (
	encUTF8 encoding = iota
	encUTF8BOM
	encUTF16LE
	encUTF16BE
	encWindows1252
)

// Names as Source.Encoding carries them, for messages and the summary.
const (
	EncodingUTF8        = "UTF-8"
	EncodingUTF8BOM     = "UTF-8 with BOM"
	EncodingUTF16LE     = "UTF-16LE"
	EncodingUTF16BE     = "UTF-16BE"
	EncodingWindows1252 = pipeline.EncodingWindows1252 // the rules look for '?' left by Excel's plain "CSV"
)

func (e encoding) String() string {
	switch e {
	case encUTF8BOM:
		return EncodingUTF8BOM
	case encUTF16LE:
		return EncodingUTF16LE
	case encUTF16BE:
		return EncodingUTF16BE
	case encWindows1252:
		return EncodingWindows1252
	}
	return EncodingUTF8
}

// bom returns the encoding a byte-order mark at the start of head declares, and its length.
func bom(head []byte) (encoding, int, bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8BOM, 3, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return encUTF16LE, 2, true
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return encUTF16BE, 2, true
	}
	return encUTF8, 0, false
}

// utf16Guess recognises UTF-16 written without a byte-order mark from the zero bytes that
// Latin text leaves in every other position. Such a file is valid UTF-8 (NUL is a character), so
// the validity scan alone would read it as UTF-8 and every header would be garbled.
func utf16Guess(head []byte) (encoding, bool) {
	n := len(head) &^ 1
	if n > 4096 {
		n = 4096
	}
	if n < 4 {
		return 0, false
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 >= pairs*4 && even*20 < pairs:
		return encUTF16LE, true
	case even*10 >= pairs*4 && odd*20 < pairs:
		return encUTF16BE, true
	}
	return 0, false
}

// utf8Stats is what the validity scan learns about a file without a byte-order mark.
type utf8Stats struct {
	invalid int64 // bytes that are not part of a valid UTF-8 sequence
	multi   int64 // valid multi-byte sequences (characters beyond ASCII)
}

// decide applies the rule documented in docs/csv-and-speed.md: valid UTF-8 throughout is UTF-8;
// otherwise a file whose valid multi-byte characters outnumber its invalid bytes is UTF-8 with a
// few damaged bytes (reported by row), and anything else is Windows-1252, which is what Excel's
// "CSV (Comma delimited)" writes: there, é is the single byte 0xE9, never valid UTF-8.
func (s utf8Stats) decide() encoding {
	if s.invalid == 0 || s.multi > s.invalid {
		return encUTF8
	}
	return encWindows1252
}

// utf8Chunks reads r to the end through buf and calls fn on each chunk, never cutting a UTF-8
// sequence between two chunks; fn returns false to stop early.
func utf8Chunks(ctx context.Context, r io.Reader, buf []byte, fn func(chunk []byte) bool) error {
	carry := 0
	for {
		if err := ctx.Err(); err != nil {
			return err // interrupted: a file of gigabytes takes a while
		}
		n, err := io.ReadFull(r, buf[carry:])
		atEOF := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !atEOF {
			return err
		}
		data := buf[:carry+n]
		end := len(data)
		if !atEOF {
			end = completeUTF8(data)
		}
		if !fn(data[:end]) {
			return nil
		}
		carry = copy(buf, data[end:])
		if atEOF {
			return nil
		}
	}
}

// validUTF8 reports whether all of r is valid UTF-8: the fast pass that settles nearly every file.
func validUTF8(ctx context.Context, r io.Reader, buf []byte) (bool, error) {
	valid := true
	err := utf8Chunks(ctx, r, buf, func(c []byte) bool {
		valid = utf8.Valid(c)
		return valid
	})
	return valid, err
}

// parallelUTF8Min is the file size from which the UTF-8 pass is split over the cores: the pass
// runs before the first row can be read, so its time is all wall time (about 50 ms for 170 MB).
const parallelUTF8Min = 8 << 20

// sizedReaderAt returns f as an io.ReaderAt with its size, when it is a regular file.
func sizedReaderAt(f io.Reader) (io.ReaderAt, int64, bool) {
	of, ok := f.(*os.File)
	if !ok {
		return nil, 0, false
	}
	st, err := of.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, 0, false
	}
	return of, st.Size(), true
}

// validUTF8Parallel is validUTF8 over parts of the file read side by side. A part starts where a
// character starts (past any continuation bytes at the cut), so no valid sequence is split: the
// file is valid exactly when every part is.
func validUTF8Parallel(ctx context.Context, ra io.ReaderAt, size int64, parts int) (bool, error) {
	parts = max(1, min(parts, 4))
	cuts := make([]int64, parts+1)
	cuts[parts] = size
	for i := 1; i < parts; i++ {
		at := size * int64(i) / int64(parts)
		var b [4]byte
		n, err := ra.ReadAt(b[:], at)
		if n == 0 && err != nil {
			return false, err
		}
		k := 0
		for k < n && k < 3 && b[k]&0xC0 == 0x80 {
			k++ // a continuation byte: the character began before the cut
		}
		cuts[i] = max(at+int64(k), cuts[i-1])
	}
	var g errgroup.Group
	valid := make([]bool, parts)
	for i := 0; i < parts; i++ {
		g.Go(func() error {
			n := cuts[i+1] - cuts[i]
			v, err := validUTF8(ctx, io.NewSectionReader(ra, cuts[i], n), make([]byte, min(256<<10, n+8)))
			valid[i] = v
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return false, err
	}
	for _, v := range valid {
		if !v {
			return false, nil
		}
	}
	return true, nil
}

// scanUTF8 reads r to the end and counts valid multi-byte sequences and invalid bytes, for a
// file that is not valid UTF-8 throughout.
func scanUTF8(ctx context.Context, r io.Reader, buf []byte) (utf8Stats, error) {
	var st utf8Stats
	err := utf8Chunks(ctx, r, buf, func(chunk []byte) bool {
		for i := 0; i < len(chunk); {
			if chunk[i] < utf8.RuneSelf {
				i++
				continue
			}
			r, size := utf8.DecodeRune(chunk[i:])
			if r == utf8.RuneError && size == 1 {
				st.invalid++
			} else {
				st.multi++
			}
			i += size
		}
		return true
	})
	return st, err
}

// completeUTF8 returns the length of the longest prefix of b that does not end inside a
// multi-byte sequence that the next bytes may complete.
func completeUTF8(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < utf8.RuneSelf {
			return len(b)
		}
		if c >= 0xC0 { // a lead byte: is its sequence cut?
			need := 2
			if c >= 0xF0 {
				need = 4
			} else if c >= 0xE0 {
				need = 3
			}
			if need > k {
				return len(b) - k
			}
			return len(b)
		}
	}
	return len(b)
}

// cp1252 maps each Windows-1252 byte to its character; the five bytes the code page leaves
// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to utf8.RuneError.
var cp1252 = func() (t [256]rune) {
	for i := range t {
		t[i] = charmap.Windows1252.DecodeByte(byte(i))
	}
	return t
}()

// badBytes is a run of input bytes that are not valid in the file's encoding. The decoder writes
// U+FFFD in their place; off is where, in the decoded text, so the row holding them is found.
type badBytes struct {
	off int64
	raw [4]byte
	n   uint8
}

func (b badBytes) String() string {
	s := ""
	for i := 0; i < int(b.n); i++ {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("0x%02X", b.raw[i])
	}
	return s
}

// decoder turns a file in any supported encoding into UTF-8 as a stream. Bytes invalid in the
// encoding become U+FFFD and are queued in bad (in stream order) for the reader to report on
// their rows; the queue holds at most what the reader's buffer has not yet consumed.
type decoder struct {
	src  io.Reader
	enc  encoding
	in   []byte
	r, w int
	eof  bool
	out  int64 // decoded bytes produced so far
	bad  []badBytes
}

func newDecoder(src io.Reader, enc encoding) *decoder {
	return &decoder{src: src, enc: enc, in: make([]byte, 64<<10)}
}

// fill reads more input, keeping what is not yet decoded.
func (d *decoder) fill() error {
	if d.r > 0 {
		d.w = copy(d.in, d.in[d.r:d.w])
		d.r = 0
	}
	for !d.eof && d.w < len(d.in) {
		n, err := d.src.Read(d.in[d.w:])
		d.w += n
		if errors.Is(err, io.EOF) {
			d.eof = true
		} else if err != nil {
			return err
		}
		if n > 0 {
			break
		}
	}
	return nil
}

// Read implements io.Reader. It never splits a character, so p must hold at least 4 bytes.
func (d *decoder) Read(p []byte) (int, error) {
	for {
		if d.r == d.w || d.pending() {
			if d.eof && d.r == d.w {
				return 0, io.EOF
			}
			if !d.eof {
				if err := d.fill(); err != nil {
					return 0, err
				}
				if d.r == d.w && d.eof {
					return 0, io.EOF
				}
			}
		}
		var n int
		switch d.enc {
		case encUTF16LE, encUTF16BE:
			n = d.utf16(p)
		case encWindows1252:
			n = d.cp1252(p)
		default:
			n = d.utf8(p)
		}
		d.out += int64(n)
		if n > 0 {
			return n, nil
		}
		if d.eof && d.r == d.w {
			return 0, io.EOF
		}
		// Only a cut sequence is left: read on.
		if err := d.fill(); err != nil {
			return 0, err
		}
	}
}

// pending reports whether the undecoded input is only the start of a sequence that more input
// may complete.
func (d *decoder) pending() bool {
	if d.eof {
		return false
	}
	switch d.enc {
	case encUTF16LE, encUTF16BE:
		return d.w-d.r < 4
	case encWindows1252:
		return false
	}
	return d.w-d.r < utf8.UTFMax && completeUTF8(d.in[d.r:d.w]) == 0
}

func (d *decoder) addBad(at int, raw []byte) {
	b := badBytes{off: d.out + int64(at)}
	b.n = uint8(copy(b.raw[:], raw))
	d.bad = append(d.bad, b)
}

const replacement = "\uFFFD"

func (d *decoder) utf8(p []byte) int {
	in := d.in[d.r:d.w]
	if len(in) > len(p) {
		in = in[:len(p)]
	}
	end := len(in)
	if !d.eof || d.r+len(in) < d.w {
		end = completeUTF8(in)
	}
	if utf8.Valid(in[:end]) {
		d.r += end
		return copy(p, in[:end])
	}
	// Slow path: a chunk with invalid bytes, decoded character by character.
	n, i := 0, 0
	for i < end && n+utf8.UTFMax <= len(p) {
		c := in[i]
		if c < utf8.RuneSelf {
			p[n] = c
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(in[i:end])
		if r == utf8.RuneError && size == 1 {
			d.addBad(n, in[i:i+1])
			n += copy(p[n:], replacement)
		} else {
			n += copy(p[n:], in[i:i+size])
		}
		i += size
	}
	d.r += i
	return n
}

func (d *decoder) cp1252(p []byte) int {
	in := d.in[d.r:d.w]
	n, i := 0, 0
	for i < len(in) && n+3 <= len(p) {
		c := in[i]
		i++
		if c < utf8.RuneSelf {
			p[n] = c
			n++
			continue
		}
		r := cp1252[c]
		if r == utf8.RuneError {
			d.addBad(n, in[i-1:i])
		}
		n += utf8.EncodeRune(p[n:], r)
	}
	d.r += i
	return n
}

func (d *decoder) utf16(p []byte) int {
	in := d.in[d.r:d.w]
	order := binary.ByteOrder(binary.LittleEndian)
	if d.enc == encUTF16BE {
		order = binary.BigEndian
	}
	n, i := 0, 0
	for n+utf8.UTFMax <= len(p) {
		if len(in)-i < 2 {
			if len(in)-i == 1 && d.eof { // an odd byte at the very end
				d.addBad(n, in[i:i+1])
				n += copy(p[n:], replacement)
				i++
			}
			break
		}
		u := order.Uint16(in[i:])
		switch {
		case utf16.IsSurrogate(rune(u)) && u < 0xDC00: // a high surrogate needs a low one after it
			if len(in)-i < 4 && !d.eof {
				d.r += i
				return n
			}
			if len(in)-i >= 4 {
				if u2 := order.Uint16(in[i+2:]); u2 >= 0xDC00 && u2 <= 0xDFFF {
					n += utf8.EncodeRune(p[n:], utf16.DecodeRune(rune(u), rune(u2)))
					i += 4
					continue
				}
			}
			d.addBad(n, in[i:i+2])
			n += copy(p[n:], replacement)
			i += 2
		case utf16.IsSurrogate(rune(u)): // a low surrogate with no high one before it
			d.addBad(n, in[i:i+2])
			n += copy(p[n:], replacement)
			i += 2
		case u < utf8.RuneSelf:
			p[n] = byte(u)
			n++
			i += 2
		default:
			n += utf8.EncodeRune(p[n:], rune(u))
			i += 2
		}
	}
	d.r += i
	return n
}
