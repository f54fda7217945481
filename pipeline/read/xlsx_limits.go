package read

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bulkload/bulk/pipeline"
)

// Limits on what a workbook may expand to in memory.
//
// A workbook is a zip package, and a few kilobytes of zip can stand for gigabytes of XML (a
// "zip bomb"), and one run of XML text for one huge token, which encoding/xml holds whole. The
// reader streams each part, so what must be bounded is how much any one part may expand to, how
// much one token of its XML may hold, and how long one cell may be. Each bound is a problem the
// user is told about, never an allocation in proportion to the input's claims. docs/xlsx.md
// ("Limits") has the table and the reasons for each number.

const (
	// DefaultMaxPartSize bounds a worksheet's XML once decompressed. A million learner rows
	// (Excel's limit is 1,048,576) take about 300 MB of sheet XML, so a genuine sheet stays well
	// under it, while the time to stream one is bounded (seconds, not hours).
	DefaultMaxPartSize = 1 << 30

	// DefaultMaxRatio bounds a part's decompressed size against its compressed size. Sheets as
	// spreadsheet programs write them compress 3-20:1, and even a range of formatted blank
	// cells without references about 300:1; deflate cannot exceed about 1,030:1, and a part of
	// one repeated byte or short tag (the usual bomb) reaches 690-1,030:1.
	DefaultMaxRatio = 500

	// ratioFloor: parts up to this size are not held to the ratio; a small part that
	// compresses well (a styles part of repeated entries) costs nothing to read.
	ratioFloor = 1 << 20

	// maxMetaPart bounds the workbook, styles, relationships and core properties parts: they
	// describe the workbook (tens of kilobytes; a few megabytes for a workbook with thousands of
	// styles) and the reader keeps some of what they say.
	maxMetaPart = 64 << 20

	// maxToken bounds one piece of a part's XML: a tag with its attributes, or the text between
	// two tags. encoding/xml holds a token whole before returning it, so without this one
	// gigabyte-long cell would take a gigabyte (and more as its buffer grows). A cell's text is
	// at most 32,767 characters, 330 KB even with every character written as &#NNNNNNN;.
	maxToken = 8 << 20

	// MaxCellChars is the most characters a spreadsheet cell holds (Excel's limit). A longer
	// cell is a problem on that cell; the reader keeps at most maxCellBytes of it while it
	// skips the rest.
	MaxCellChars = 32767

	// MaxRows and MaxColumns are the last row and column (XFD) a sheet has.
	MaxRows    = 1 << 20
	MaxColumns = 1 << 14
)

// RuleOutOfRange: a row or cell reference past the last row (1,048,576) or column (XFD) a sheet
// has. Such a reference is reported on its row, never used to size anything.
const RuleOutOfRange = "out-of-range"

// RuleHiddenRow is a row Excel hides (by hand, or because a filter leaves it out): it is read,
// with a warning, so nobody loads what they cannot see without being told.
const RuleHiddenRow = "hidden-row"

// Rules are the readers' own rule codes, for `bulk rules` (internal/catalog).
var Rules = []pipeline.Rule{{Code: RuleOutOfRange,
	Summary: "A workbook row or cell is numbered past the last row (1,048,576) or column (XFD) a spreadsheet has; the workbook is damaged, and the row is rejected.",
	Example: "a row numbered 999999999999, or a cell XFE2"},
	{Code: RuleHiddenRow,
		Summary: "A workbook row is hidden in Excel, by hand or by a filter; it is read like any other, with a warning, so that nobody loads rows they cannot see without being told.",
		Example: "row 4 hidden, or left out by an autofilter"}}

// maxCellBytes is what is kept of a cell's text before its length is known to be too long: 4
// bytes per character in UTF-8, and 7 for a character written as an _xHHHH_ escape.
const maxCellBytes = 7 * (MaxCellChars + 1)

// partLimits are the bounds of one workbook's parts.
type partLimits struct {
	sheet, sst, meta int64
	ratio            int64 // 0: no ratio check
}

func limitsOf(o Options) partLimits {
	l := partLimits{sheet: DefaultMaxPartSize, sst: DefaultMaxPartSize / 2, meta: maxMetaPart, ratio: DefaultMaxRatio}
	if o.MaxPartSize > 0 {
		l.sheet, l.sst = o.MaxPartSize, o.MaxPartSize
		l.meta = max(l.meta, o.MaxPartSize/16)
	}
	switch {
	case o.MaxRatio > 0:
		l.ratio = int64(o.MaxRatio)
	case o.MaxRatio < 0:
		l.ratio = 0
	}
	return l
}

// LimitError is a workbook part over one of the limits: the workbook is damaged or was made to
// exhaust memory, or it is genuine and larger than bulk reads by default.
type LimitError struct {
	Part     string
	Msg      string
	Raisable bool // --max-part-size raises the limit
}

func (e *LimitError) Error() string {
	if !e.Raisable {
		return fmt.Sprintf("part %s %s", e.Part, e.Msg)
	}
	return fmt.Sprintf("part %s %s. If you trust this workbook, raise the limit with --max-part-size (for example --max-part-size 4GiB), which also lifts the compression check", e.Part, e.Msg)
}

// checkSize refuses a part before it is read when the zip directory says it expands past the
// limits. archive/zip holds each entry to that size as it reads it (it fails past it), so the
// declared size is a true bound of what reading the part costs.
func checkSize(name string, size, compressed uint64, limit, ratio int64) error {
	if size > uint64(limit) {
		return &LimitError{Part: name, Raisable: true, Msg: fmt.Sprintf("expands to %s, over the limit of %s for it", byteSize(size), byteSize(uint64(limit)))}
	}
	if ratio > 0 && size > ratioFloor && size/max(compressed, 1) > uint64(ratio) {
		return &LimitError{Part: name, Raisable: true, Msg: fmt.Sprintf("expands from %s to %s (%d times), more than genuine workbooks compress (the limit is %d times): it looks like a zip bomb",
			byteSize(compressed), byteSize(size), size/max(compressed, 1), ratio)}
	}
	return nil
}

// tokenGuard passes a part's XML through to encoding/xml, which holds each token whole, so that
// no token is longer than max bytes:
//   - the text between two tags (a cell's value) is cut after max bytes, at a character and
//     entity boundary, and the rest skipped: the cell is then over the cell limit and reported
//     on its row, with memory bounded however long it was;
//   - a longer tag, comment, CDATA section, processing instruction or directive is an error.
//
// It also counts what it passes, beside archive/zip's own check of the entry's declared size.
type tokenGuard struct {
	r    io.Reader
	name string
	max  int64 // longest token
	left int64 // bytes the part may still expand to

	run    int64 // bytes of the current token so far
	state  guardState
	lt     bool    // the last byte seen was the '<' opening markup
	bang   int     // bytes seen of a "<!" markup, to tell a comment or CDATA from a directive
	depth  int     // directives: '<' and '>' nesting (an internal DTD subset)
	tail   [2]byte // the last two bytes of special markup, for the terminators --> ]]> ?>
	entity bool    // the text kept so far ends inside an entity (&amp;)
	cut    cutState
}

type guardState uint8

const (
	gText      guardState = iota // text: a token ends at the next '<'
	gTag                         // a tag: ends at '>'
	gBang                        // after "<!", which one is not yet known
	gComment                     // <!-- ... -->
	gCDATA                       // <![CDATA[ ... ]]>
	gPI                          // <? ... ?>
	gDirective                   // <!DOCTYPE ... >
)

type cutState uint8

const (
	cutNone     cutState = iota
	cutClosing           // past the limit: keeping the rest of a character or entity
	cutDropping          // skipping the rest of the text
)

var errTooLong = errors.New("token too long")

func (g *tokenGuard) Read(p []byte) (int, error) {
	for {
		n, err := g.r.Read(p)
		if int64(n) > g.left {
			return 0, &LimitError{Part: g.name, Msg: "expands past the size its zip entry gives or the limit for it"}
		}
		g.left -= int64(n)
		kept, gerr := g.filter(p[:n])
		if gerr != nil {
			return 0, &LimitError{Part: g.name, Msg: fmt.Sprintf("holds one piece of XML markup (a tag, comment or declaration) over %s long: the workbook is damaged or was made to exhaust memory", byteSize(uint64(g.max)))}
		}
		if kept > 0 || err != nil {
			return kept, err
		}
	}
}

// filter follows the markup of p, moving what is kept to its front; it returns how much.
func (g *tokenGuard) filter(p []byte) (int, error) {
	if g.fast(p) {
		return len(p), nil
	}
	w, r := 0, 0
	keep := func(n int) {
		if w != r {
			copy(p[w:], p[r:r+n])
		}
		w += n
		r += n
	}
	for r < len(p) {
		if g.lt {
			g.lt = false
			switch p[r] {
			case '!':
				g.state, g.bang = gBang, 0
				g.tail = [2]byte{}
				g.run++
				keep(1)
				continue
			case '?':
				g.state = gPI
				g.tail = [2]byte{}
				g.run++
				keep(1)
				continue
			}
		}
		switch g.state {
		case gText:
			seg := p[r:]
			lt := bytes.IndexByte(seg, '<')
			if lt >= 0 {
				seg = seg[:lt]
			}
			g.text(seg, &w, &r, p)
			if lt >= 0 {
				g.state, g.lt, g.run, g.cut = gTag, true, 1, cutNone
				keep(1)
			}
		case gTag:
			seg := p[r:]
			gt := bytes.IndexByte(seg, '>')
			if gt >= 0 {
				seg = seg[:gt+1]
			}
			g.run += int64(len(seg))
			if g.run > g.max {
				return 0, errTooLong
			}
			keep(len(seg))
			if gt >= 0 {
				g.state, g.run, g.entity = gText, 0, false
			}
		default:
			// Markup that may hold '<' and '>': rare in a sheet, so byte by byte.
			c := p[r]
			keep(1)
			g.run++
			if g.run > g.max {
				return 0, errTooLong
			}
			switch g.state {
			case gBang:
				g.bang++
				switch {
				case g.bang == 1 && c == '-':
				case g.bang == 2 && c == '-':
					g.state = gComment
				case g.bang == 1 && c == '[':
					g.state = gCDATA // "<![CDATA[": the rest of the opener is read as its content
				case c == '>':
					g.state = gText
				default:
					g.state, g.depth = gDirective, 1
				}
			case gComment:
				if c == '>' && g.tail == [2]byte{'-', '-'} {
					g.state = gText
				}
			case gCDATA:
				if c == '>' && g.tail == [2]byte{']', ']'} {
					g.state = gText
				}
			case gPI:
				if c == '>' && g.tail[1] == '?' {
					g.state = gText
				}
			case gDirective:
				switch c {
				case '<':
					g.depth++
				case '>':
					if g.depth--; g.depth == 0 {
						g.state = gText
					}
				}
			}
			g.tail = [2]byte{g.tail[1], c}
			if g.state == gText {
				g.run, g.entity = 0, false
			}
		}
	}
	return w, nil
}

// fast passes p whole when nothing in it can reach the token limit: no comment, CDATA,
// processing instruction or directive starts in it, and the token running into it stays clear
// of the limit. Tokens that begin and end inside p are shorter than p, far under the limit. So
// a sheet costs a few vectorised scans per read rather than a step per token.
func (g *tokenGuard) fast(p []byte) bool {
	if g.cut != cutNone || g.state > gTag || len(p) == 0 || int64(len(p)) > g.max/4 {
		return false
	}
	first := bytes.IndexByte(p, '<')
	if first < 0 || g.run+int64(first) > g.max-16 {
		return false
	}
	for _, mark := range []byte{'!', '?'} {
		for i := 0; ; {
			j := bytes.IndexByte(p[i:], mark)
			if j < 0 {
				break
			}
			i += j
			if i == 0 && g.lt || i > 0 && p[i-1] == '<' {
				return false
			}
			i++
		}
	}
	last := bytes.LastIndexByte(p, '<')
	tail := p[last+1:]
	g.lt = len(tail) == 0
	if gt := bytes.IndexByte(tail, '>'); gt >= 0 {
		g.state, g.run, g.entity = gText, int64(len(tail)-gt-1), false
	} else {
		g.state, g.run = gTag, int64(1+len(tail))
	}
	return true
}

// text keeps the text seg (at p[*r:]) up to the token limit; past it, it keeps only what ends
// the character or entity the limit fell in, and skips the rest.
func (g *tokenGuard) text(seg []byte, w, r *int, p []byte) {
	keep := func(n int) {
		if *w != *r {
			copy(p[*w:], p[*r:*r+n])
		}
		*w += n
		*r += n
	}
	if g.cut == cutNone {
		n := len(seg)
		if room := g.max - g.run; int64(n) > room {
			n = int(room)
			g.cut = cutClosing
		}
		// Only the last bytes before the limit can begin the entity the cut falls in (the
		// longest, &#x10FFFF;, is 10 bytes), so only they are followed.
		if from := g.max - 16 - g.run; int64(n) > from {
			for _, c := range seg[max(from, 0):n] {
				switch c {
				case '&':
					g.entity = true
				case ';':
					g.entity = false
				}
			}
		}
		g.run += int64(n)
		keep(n)
		seg = seg[n:]
	}
	if g.cut == cutClosing {
		n := 0
		for n < len(seg) && n < 16 && (seg[n]&0xC0 == 0x80 || g.entity) {
			if seg[n] == ';' {
				g.entity = false
			}
			n++
		}
		keep(n)
		seg = seg[n:]
		if len(seg) > 0 {
			g.cut = cutDropping
		}
	}
	*r += len(seg) // dropped
}

// byteSize writes a size as people read it: 12 KB, 3.4 MB, 1.0 GB, in the binary units Windows
// shows (1 KB = 1,024 bytes), so 1 GiB reads "1.0 GB" as Explorer would show that file.
func byteSize(n uint64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

// ParseSize reads a size such as 4GiB, 1500MB, 2G or 1073741824 (bytes). K, M, G and T are
// powers of 1,024, with or without "iB"; KB, MB, GB and TB are powers of 1,000.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult := map[string]float64{"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TIB": 1 << 40, "TB": 1e12}[unit]
	f, err := strconv.ParseFloat(num, 64)
	if mult == 0 || err != nil || f <= 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("%q is not a size: give a number of bytes with a unit, such as 2GiB or 1500MB", s)
	}
	return int64(f * mult), nil
}

// PartSize is a --max-part-size flag's value (it satisfies pflag.Value).
type PartSize int64

func (p *PartSize) String() string {
	if *p == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*p), 10)
}

func (p *PartSize) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*p = PartSize(n)
	return nil
}

func (p *PartSize) Type() string { return "SIZE" }

// Apply sets the options a --max-part-size given on the command line stands for: every part
// may expand to that size, and no compression ratio is held against it (the user vouches for
// the workbook). Not given, the defaults apply.
func (p PartSize) Apply(o *Options) {
	if p > 0 {
		o.MaxPartSize, o.MaxRatio = int64(p), -1
	}
}
