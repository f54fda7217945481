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

func init() {
	pipeline.RegisterRule(pipeline.Rule{Code: RuleOutOfRange,
		Summary: "A workbook row or cell is numbered past the last row (1,048,576) or column (XFD) a spreadsheet has; the workbook is damaged, and the row is rejected.",
		Example: `<row r="999999999999"> in the sheet's XML`})
}

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

// tokenGuard passes a part's XML through while checking that no token (a tag, or the text
// between two tags; a comment, CDATA section, processing instruction or directive whole) is
// longer than max bytes, so encoding/xml never holds more than that at once. It also counts
// what it passes, beside archive/zip's own check of the declared size.
type tokenGuard struct {
	r    io.Reader
	name string
	max  int64 // longest token
	left int64 // bytes the part may still expand to

	run   int64 // bytes since the current token began
	state guardState
	lt    bool    // the last byte seen was the '<' opening markup
	bang  int     // bytes seen of a "<!" markup, to tell a comment or CDATA from a directive
	depth int     // directives: '<' and '>' nesting (an internal DTD subset)
	tail  [2]byte // the last two bytes, for the terminators --> ]]> ?>
}

type guardState uint8

const (
	gNormal    guardState = iota // tags and text: a token ends at the next '<'
	gBang                        // after "<!", which one is not yet known
	gComment                     // <!-- ... -->
	gCDATA                       // <![CDATA[ ... ]]>
	gPI                          // <? ... ?>
	gDirective                   // <!DOCTYPE ... >
)

var errTooLong = errors.New("token too long")

func (g *tokenGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if int64(n) > g.left {
		return 0, &LimitError{Part: g.name, Msg: "expands past the size its zip entry gives or the limit for it"}
	}
	g.left -= int64(n)
	if gerr := g.scan(p[:n]); gerr != nil {
		return 0, &LimitError{Part: g.name, Msg: fmt.Sprintf("holds one piece of XML (a tag, or the text of one cell) over %s long, more than any spreadsheet cell holds (%d characters): the workbook is damaged or was made to exhaust memory", byteSize(uint64(g.max)), MaxCellChars)}
	}
	return n, err
}

// scan follows the markup of p, counting the current token's bytes.
func (g *tokenGuard) scan(p []byte) error {
	for len(p) > 0 {
		if g.state == gNormal {
			if g.lt {
				g.lt = false
				switch p[0] {
				case '!':
					g.state, g.bang = gBang, 0
				case '?':
					g.state = gPI
				}
				if g.state != gNormal {
					g.tail = [2]byte{}
					p = p[1:]
					g.run++
					continue
				}
			}
			i := bytes.IndexByte(p, '<')
			if i < 0 {
				g.run += int64(len(p))
				break
			}
			g.run = 0
			g.lt = true
			p = p[i+1:]
			continue
		}
		// Markup that may hold '<': rare in a sheet, so byte by byte.
		c := p[0]
		p = p[1:]
		g.run++
		switch g.state {
		case gBang:
			g.bang++
			switch {
			case g.bang == 1 && c == '-':
			case g.bang == 2 && c == '-':
				g.state = gComment
			case g.bang == 1 && c == '[':
				g.state = gCDATA // "<![CDATA[": the rest of the opener is read as its content
			default:
				g.state, g.depth = gDirective, 1
				if c == '>' {
					g.state = gNormal
				}
			}
		case gComment:
			if c == '>' && g.tail == [2]byte{'-', '-'} {
				g.state = gNormal
			}
		case gCDATA:
			if c == '>' && g.tail == [2]byte{']', ']'} {
				g.state = gNormal
			}
		case gPI:
			if c == '>' && g.tail[1] == '?' {
				g.state = gNormal
			}
		case gDirective:
			switch c {
			case '<':
				g.depth++
			case '>':
				if g.depth--; g.depth == 0 {
					g.state = gNormal
				}
			}
		}
		g.tail = [2]byte{g.tail[1], c}
		if g.run > g.max {
			return errTooLong
		}
	}
	if g.run > g.max {
		return errTooLong
	}
	return nil
}

// byteSize writes a size as people read it: 12 KB, 3.4 MB, 1 GB (decimal units, as file
// managers show them).
func byteSize(n uint64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
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
