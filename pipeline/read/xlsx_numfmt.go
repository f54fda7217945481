package read

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/pipeline/check"
)

// fmtClass is what a cell style's number format makes of a number: a plain number, a date, a
// date and time, or a time of day. A spreadsheet stores all of them as the same serial number;
// only the format tells them apart.
type fmtClass uint8

const (
	fmtNumber fmtClass = iota
	fmtDate
	fmtDateTime
	fmtTime
)

// cellFmt is what the reader needs of a cell style: the class of its number format and, for
// formats of zeros such as 000000 or 00000 000000 (how a spreadsheet shows an ID or a phone
// number stored as a number with its leading zeros), its zeroMask.
type cellFmt struct {
	class   fmtClass
	mask    string
	percent bool // the format shows the number times 100 with a %: 0.92 is shown 92%
}

// percentFormat reports whether a format code's first section shows a percentage: a '%' that is
// not quoted or escaped.
func percentFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case ';':
			return false
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '%':
			return true
		}
	}
	return false
}

// percentText is a number as a percentage format shows it, without the %: 0.92 is 92. The
// product is rounded to 9 decimal places, so 0.07 is 7 and not 7.000000000000001.
func percentText(raw string) (string, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	return strconv.FormatFloat(math.Round(f*100*1e9)/1e9, 'f', -1, 64), true
}

// zeroMask returns the first section of a format code made of zeros (two or more) and the
// literal separators a spreadsheet shows between groups of digits (a space, '-', '/', an
// escaped character or quoted text), as a mask of '0's and those separators: "000000" (an ID
// with its leading zeros), "00000 000000" (a UK mobile), "000-000-0000". Any other format
// gives "".
func zeroMask(code string) string {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	var b strings.Builder
	zeros := 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '0':
			zeros++
			b.WriteByte(c)
		case ' ', '-', '/':
			b.WriteByte(c)
		case '\\':
			if i+1 >= len(code) || code[i+1] == '0' {
				return ""
			}
			i++
			b.WriteByte(code[i])
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 || strings.IndexByte(code[i+1:i+1+j], '0') >= 0 {
				return ""
			}
			b.WriteString(code[i+1 : i+1+j])
			i += j + 1
		default:
			return ""
		}
	}
	if zeros < 2 {
		return ""
	}
	return b.String()
}

// maskNumber writes a whole non-negative number as a zeroMask shows it: padded with zeros to
// the mask's digits, the separators between; digits beyond the mask's go in its first group,
// as a spreadsheet shows them. Anything else is returned as it is.
func maskNumber(v, mask string) string {
	if v == "" {
		return v
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return v
		}
	}
	zeros := strings.Count(mask, "0")
	if len(v) < zeros {
		v = strings.Repeat("0", zeros-len(v)) + v
	}
	var b strings.Builder
	next, first := len(v)-zeros, true // the first zero writes the digits beyond the mask's too
	for i := 0; i < len(mask); i++ {
		switch {
		case mask[i] != '0':
			b.WriteByte(mask[i])
		case first:
			b.WriteString(v[:next+1])
			next, first = next+1, false
		default:
			b.WriteByte(v[next])
			next++
		}
	}
	return b.String()
}

// builtinClass classifies the built-in number formats (ECMA-376 Part 1, 18.8.30): 14-17 and 22
// are dates, 18-21 and 45-47 times; 27-36 and 50-58 are the East Asian locales' dates and times.
func builtinClass(id int) fmtClass {
	switch {
	case id >= 14 && id <= 17, id == 27, id == 28, id == 29, id == 30, id == 31, id == 36, id >= 50 && id <= 58:
		return fmtDate
	case id == 22:
		return fmtDateTime
	case id >= 18 && id <= 21, id >= 32 && id <= 35, id >= 45 && id <= 47:
		return fmtTime
	}
	return fmtNumber
}

// classifyFormat classifies a custom format code by the date and time tokens in its first
// section (the one positive numbers use), ignoring quoted text, escaped characters, fill and
// padding characters, and bracketed colours, conditions and locales. [h], [m] and [s] are elapsed
// time. An 'm' is a month unless the format has hours or seconds and no days or years.
func classifyFormat(code string) fmtClass {
	var hasDate, hasTime, hasM bool
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			i = len(code) // first section only
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			i++ // the next character is literal, or a padding or fill character
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				i = len(code)
				break
			}
			inner := strings.ToLower(code[i+1 : i+1+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				hasTime = true // elapsed time: [h]:mm:ss
			}
			i += j + 1
		default:
			switch c | 0x20 { // ASCII lower case
			case 'y', 'd', 'e', 'g', 'b':
				if c|0x20 == 'e' && !dateLetterContext(code, i) {
					continue // E+ / e- of scientific notation
				}
				if c|0x20 == 'g' && strings.HasPrefix(strings.ToLower(code[i:]), "general") {
					i += len("general") - 1
					continue
				}
				if c|0x20 == 'b' && (i+1 >= len(code) || code[i+1] != '1' && code[i+1] != '2') {
					continue // b1/b2 are the Buddhist and Hijri years; a lone b is nothing
				}
				hasDate = true
			case 'h', 's':
				hasTime = true
			case 'm':
				hasM = true
			case 'a':
				if strings.HasPrefix(strings.ToLower(code[i:]), "am/pm") || strings.HasPrefix(strings.ToLower(code[i:]), "a/p") {
					hasTime = true
				}
			}
		}
	}
	switch {
	case hasDate && hasTime:
		return fmtDateTime
	case hasDate:
		return fmtDate
	case hasTime:
		return fmtTime
	case hasM:
		return fmtDate // "mmm" or "mmmm" alone: a month
	}
	return fmtNumber
}

// dateLetterContext reports whether the e at i is a year (era year "e", "ee") rather than the
// exponent of a scientific format such as 0.00E+00.
func dateLetterContext(code string, i int) bool {
	if i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-') {
		return false
	}
	return true
}

// Serial date limits: 9999-12-31 is the last day a spreadsheet can show.
const maxSerial = 2958465

// serialText turns an Excel serial number into the text bulk gives a date cell:
// yyyy-mm-dd, yyyy-mm-dd HH:MM:SS (the format shows a time), or HH:MM:SS (a time of day). ok is
// false when the number is not a date a spreadsheet could show (negative, or past 9999).
func serialText(v float64, class fmtClass, date1904 bool) (string, bool) {
	if v < 0 || v > maxSerial || math.IsNaN(v) {
		return "", false
	}
	days := math.Floor(v)
	secs := int64(math.Round((v - days) * 86400))
	if secs >= 86400 {
		days++
		secs -= 86400
	}
	if class == fmtTime {
		if days >= 1 { // a duration past a day ([h]:mm:ss): hours keep counting
			secs += int64(days) * 86400
		}
		return clock(secs), true
	}
	var t time.Time
	d := int(days)
	switch {
	case date1904:
		t = check.ExcelEpoch1904.AddDate(0, 0, d)
	case d == 60:
		// The 1900 system counts a 29 February 1900 that never was (Lotus 1-2-3's bug, kept
		// for compatibility); give back what the spreadsheet shows.
		if class == fmtDateTime {
			return "1900-02-29 " + clock(secs), true
		}
		return "1900-02-29", true
	case d < 60:
		t = check.ExcelEpoch1900.AddDate(0, 0, d+1)
	default:
		t = check.ExcelEpoch1900.AddDate(0, 0, d)
	}
	if class == fmtDateTime {
		return t.Format("2006-01-02") + " " + clock(secs), true
	}
	return t.Format("2006-01-02"), true
}

func clock(secs int64) string {
	h, m, s := secs/3600, secs/60%60, secs%60
	b := make([]byte, 0, 8)
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	return string(b)
}

// isoDateText reads the value of a t="d" cell (an ISO-8601 date, time or both, ECMA-376 Part 1,
// 18.17.4) into bulk's date text.
func isoDateText(v string, class fmtClass) (string, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z07:00", "2006-01-02", "15:04:05.999999999", "15:04:05"} {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		t = t.Round(time.Second)
		switch {
		case layout[0] == '1' || class == fmtTime:
			return t.Format("15:04:05"), true
		case class == fmtDateTime || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0:
			return t.Format("2006-01-02 15:04:05"), true
		default:
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// numberText gives a number cell's value as plain decimal text, the way a spreadsheet's formula
// bar shows it: never in scientific notation (1000000043, not 1.000000043E+9), and to the 15
// significant digits a spreadsheet keeps, so 0.1+0.2 stored as 0.30000000000000004 reads 0.3.
// Values that are already plain decimals with at most 15 significant digits are returned as
// stored, which is nearly all of them.
func numberText(v string) string {
	if plainDecimal(v) {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return v // not a number after all: give the text back rather than lose it
	}
	if f == 0 {
		return "0"
	}
	// A decimal of at most 15 significant digits survives the trip through float64, so the
	// shortest text of the rounded float is those digits.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// plainDecimal reports whether v is -?digits[.digits] with at most 15 significant digits.
func plainDecimal(v string) bool {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	if i == len(v) {
		return false
	}
	sig, zeros, dot, started := 0, 0, false, false
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
			if c == '0' {
				if started {
					zeros++ // trailing zeros count only when a non-zero digit follows
				}
				continue
			}
			started = true
			sig += zeros + 1
			zeros = 0
		default:
			return false
		}
	}
	return sig <= 15 && v[len(v)-1] != '.'
}
