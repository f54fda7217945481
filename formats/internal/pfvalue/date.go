package pfvalue

import (
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// Moment is a date and time of day as a payload writes it: no zone (the LMS reads times in the
// session's or the system's zone), to the second.
type Moment struct {
	Y, Mo, D int
	H, Mi, S int
	HasTime  bool // the input gave a time of day
}

// Date parses field f of r exactly as the pipeline's field check does (Row.ParseDate), but reads
// the handful of layouts that make up nearly every real file — dd/mm/yyyy, yyyy-mm-dd and
// dd-Mmm-yyyy, each with an optional HH:MM or HH:MM:SS — without allocating. The CSV transforms
// run on copies of rows in their own goroutines (payloadcsv.Stream), where the pipeline's parsed
// dates are not at hand; on a million rows the general parser was a large share of the time
// (docs/peoplefluent-formats.md). FuzzDate holds the fast path to the general parser's answers.
func Date(r *pipeline.Row, f int) (Moment, error) {
	if r.CellType(f) != pipeline.CellNumber {
		monthFirst := r.Opts != nil && r.Opts.MonthFirst
		if m, ok := fastDate(r.Value(f), monthFirst); ok {
			return m, nil
		}
	}
	d, err := r.ParseDate(f)
	if err != nil {
		return Moment{}, err
	}
	return FromCheck(d), nil
}

// CheckedDate is field f of r as the pipeline's field check read it: Row.ParseDate keeps each
// row's parsed dates, so a rule that runs after the field checks gets them without parsing again.
func CheckedDate(r *pipeline.Row, f int) (Moment, error) {
	d, err := r.ParseDate(f)
	if err != nil {
		return Moment{}, err
	}
	return FromCheck(d), nil
}

// FromCheck converts the general parser's answer. A time given with a zone (ISO-8601 with Z or
// +01:00) keeps the wall-clock time the input wrote: the LMS reads payload times in the session's
// or the system's zone, and the writer's zone says nothing about that.
func FromCheck(d check.Date) Moment {
	t := d.Time.Add(time.Duration(d.Offset) * time.Second)
	return Moment{Y: t.Year(), Mo: int(t.Month()), D: t.Day(), H: t.Hour(), Mi: t.Minute(), S: t.Second(), HasTime: d.HasTime}
}

// Compare returns -1, 0 or +1 as m is before, at or after o.
func (m Moment) Compare(o Moment) int {
	a := [...]int{m.Y, m.Mo, m.D, m.H, m.Mi, m.S}
	b := [...]int{o.Y, o.Mo, o.D, o.H, o.Mi, o.S}
	for i := range a {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// HasClock reports whether the time of day is other than midnight.
func (m Moment) HasClock() bool { return m.H != 0 || m.Mi != 0 || m.S != 0 }

var monthAbbr = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// DMYHM writes dd-Mmm-yyyy HH:MM, e.g. 05-Sep-2026 09:00 (trainingHistoryCsv dates).
func (m Moment) DMYHM() string {
	var b [17]byte
	m.dmy(b[:0])
	b[11] = ' '
	put2(b[12:], m.H)
	b[14] = ':'
	put2(b[15:], m.Mi)
	return string(b[:])
}

// DMY writes dd-Mmm-yyyy, e.g. 05-Sep-2026.
func (m Moment) DMY() string {
	var b [11]byte
	m.dmy(b[:0])
	return string(b[:])
}

// DMYHMNumeric writes dd-mm-yyyy HH:MM, e.g. 05-09-2026 09:00: the all-numeric form the
// trainingHistoryCsv table gives. The default for payloads, since a month name is read by the
// LMS's Java date parser in its locale, and a UK-locale parser wants "Sept", not "Sep".
func (m Moment) DMYHMNumeric() string {
	var b [16]byte
	m.dmyNumeric(b[:10])
	b[10] = ' '
	put2(b[11:], m.H)
	b[13] = ':'
	put2(b[14:], m.Mi)
	return string(b[:])
}

// DMYNumeric writes dd-mm-yyyy, e.g. 05-09-2026.
func (m Moment) DMYNumeric() string {
	var b [10]byte
	m.dmyNumeric(b[:])
	return string(b[:])
}

func (m Moment) dmyNumeric(b []byte) {
	put2(b, m.D)
	b[2] = '-'
	put2(b[3:], m.Mo)
	b[5] = '-'
	put4(b[6:], m.Y)
}

func (m Moment) dmy(b []byte) {
	b = b[:11]
	put2(b, m.D)
	b[2] = '-'
	copy(b[3:6], monthAbbr[m.Mo-1])
	b[6] = '-'
	put4(b[7:], m.Y)
}

// YMD writes yyyy-MM-dd, e.g. 2026-09-05.
func (m Moment) YMD() string {
	var b [10]byte
	m.ymd(b[:])
	return string(b[:])
}

// YMDHMS writes yyyy-MM-dd HH:mm:ss, e.g. 2026-09-05 09:00:00.
func (m Moment) YMDHMS() string { return m.ymdhms(' ') }

// XSD writes an xs:dateTime without zone, e.g. 2026-09-05T09:00:00.
func (m Moment) XSD() string { return m.ymdhms('T') }

func (m Moment) ymdhms(sep byte) string {
	var b [19]byte
	m.ymd(b[:10])
	b[10] = sep
	put2(b[11:], m.H)
	b[13] = ':'
	put2(b[14:], m.Mi)
	b[16] = ':'
	put2(b[17:], m.S)
	return string(b[:])
}

func (m Moment) ymd(b []byte) {
	put4(b, m.Y)
	b[4] = '-'
	put2(b[5:], m.Mo)
	b[7] = '-'
	put2(b[8:], m.D)
}

func put2(b []byte, n int) { b[0], b[1] = byte('0'+n/10%10), byte('0'+n%10) }
func put4(b []byte, n int) {
	put2(b, n/100)
	put2(b[2:], n%100)
}

// fastDate reads s when it is in one of the common layouts and is a real date; ok is false for
// anything else (the caller then asks the general parser, which also explains errors).
func fastDate(s string, monthFirst bool) (m Moment, ok bool) {
	var y, mo, day int
	n := len(s)
	rest := ""
	switch {
	case n >= 10 && s[4] == '-' && s[7] == '-': // yyyy-mm-dd
		y, ok = digits(s[0:4])
		if ok {
			mo, ok = digits(s[5:7])
		}
		if ok {
			day, ok = digits(s[8:10])
		}
		rest = s[10:]
	case n >= 10 && (s[2] == '/' || s[2] == '-' || s[2] == '.') && s[5] == s[2]: // dd/mm/yyyy
		a, ok1 := digits(s[0:2])
		b, ok2 := digits(s[3:5])
		y, ok = digits(s[6:10])
		ok = ok && ok1 && ok2
		day, mo = a, b
		if monthFirst {
			day, mo = b, a
		}
		rest = s[10:]
	case n >= 11 && s[2] == '-' && s[6] == '-': // dd-Mmm-yyyy
		day, ok = digits(s[0:2])
		if ok {
			mo = month(s[3:6])
			ok = mo > 0
		}
		if ok {
			y, ok = digits(s[7:11])
		}
		rest = s[11:]
	}
	if !ok || y < check.MinYear || mo < 1 || mo > 12 || day < 1 || day > daysIn(mo, y) {
		return Moment{}, false // 31/02 and the like: the general parser says why
	}
	m = Moment{Y: y, Mo: mo, D: day}
	switch len(rest) {
	case 0:
		return m, true
	case 6, 9: // " HH:MM" or " HH:MM:SS"
		if rest[0] != ' ' || rest[3] != ':' {
			return Moment{}, false
		}
		var ok1, ok2, ok3 bool
		m.H, ok1 = digits(rest[1:3])
		m.Mi, ok2 = digits(rest[4:6])
		ok3 = true
		if len(rest) == 9 {
			if rest[6] != ':' {
				return Moment{}, false
			}
			m.S, ok3 = digits(rest[7:9])
		}
		if !ok1 || !ok2 || !ok3 || m.H > 23 || m.Mi > 59 || m.S > 59 {
			return Moment{}, false
		}
		m.HasTime = true
		return m, true
	}
	return Moment{}, false
}

func daysIn(mo, y int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

func month(s string) int {
	for i, m := range monthAbbr {
		if len(s) == 3 && s[0]|0x20 == m[0]|0x20 && s[1]|0x20 == m[1] && s[2]|0x20 == m[2] {
			return i + 1
		}
	}
	return 0
}
