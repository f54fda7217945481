package check

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateOrder says how to read an all-numeric date like 03/04/2026.
type DateOrder uint8

const (
	DayFirst   DateOrder = iota // UK: 3 April 2026
	MonthFirst                  // US: March 4 2026
)

var monthNames = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

// MinYear is the earliest year a date may have. Nothing bulk loads (a birth, a start, a
// completion) predates it, and Excel cannot hold earlier dates: a year like 0226 is a typing slip.
const MinYear = 1900

// Date is a parsed input date.
type Date struct {
	Time    time.Time // the instant, in UTC
	HasTime bool      // the input carried a time of day
	// Offset is the input's own time zone in seconds east of UTC, when it named one (ISO-8601 with
	// Z or ±hh:mm). Day uses it so that 2007-03-14T00:00:00+01:00 stays the 14th.
	Offset int
}

// Day returns the calendar date as the input wrote it, at midnight UTC. A date of birth or a
// start date is a day, not an instant: converting its time zone must never move it by one.
func (d Date) Day() time.Time {
	if d.Offset == 0 && !d.HasTime {
		return d.Time // already midnight UTC: the common case costs nothing
	}
	w := d.Time.Add(time.Duration(d.Offset) * time.Second)
	return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
}

// DayNumber returns Day as days since 1970-01-01 (negative before): a rule that only compares
// calendar days compares two integers.
func (d Date) DayNumber() int {
	return int(floorDiv(d.Day().Unix(), 86400))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Civil returns the year, month and day of day number n (days since 1970-01-01), as
// time.Unix(n*86400, 0).UTC().Date() would, in a few integer operations (the proleptic Gregorian
// calendar, after Howard Hinnant's days_from_civil inverse).
func Civil(n int) (y, m, d int) {
	z := n + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// DayTime returns day number n as midnight UTC.
func DayTime(n int) time.Time { return time.Unix(int64(n)*86400, 0).UTC() }

const acceptedFormats = "such as 05/09/2026, 2026-09-05 or 05-Sep-2026"

var errFormat = errors.New("is not a date in an accepted format (" + acceptedFormats + ")")

// ParseDate reads the date formats of the vendor documents and of spreadsheets: yyyy-mm-dd,
// dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, dd-mmm-yyyy, d mmm yyyy, dd-mm-yy, dd-mmm-yy and yyyymmdd,
// each optionally followed by H:MM or HH:MM:SS (and AM/PM); ISO-8601 date-times with or without a
// time zone; and Excel serial numbers (1900 system). order says how to read 03/04/2026. Two-digit
// years fall in the window of 80 years back and 20 ahead of now. Impossible dates (31/02/2026)
// are errors. The error text completes a sentence that begins with the value: `"31/02/2026" is
// not a real date: ...`.
func ParseDate(s string, order DateOrder, now time.Time) (Date, error) {
	if d, ok := parsePlain(s, order); ok {
		return d, nil
	}
	return parseGeneral(s, order, now)
}

// parseGeneral is ParseDate without the fast path for plain dates.
func parseGeneral(s string, order DateOrder, now time.Time) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, errors.New("is empty")
	}
	if isNumber(s) {
		return parseNumber(s)
	}
	datePart, clock := splitDateTime(s)
	if clock == "" && len(s) > 10 && (s[10] == 'T' || s[10] == 't') {
		return Date{}, errClock // "2026-09-05T": a time was announced and not given
	}
	y, mo, d, err := parseDay(datePart, order, now)
	if err != nil {
		return Date{}, err
	}
	out := Date{}
	var hh, mm, ss, ns int
	if clock != "" {
		hh, mm, ss, ns, out.Offset, err = parseClock(clock)
		if err != nil {
			return Date{}, err
		}
		out.HasTime = true
	}
	t := time.Date(y, mo, d, hh, mm, ss, ns, time.UTC)
	out.Time = t.Add(-time.Duration(out.Offset) * time.Second)
	return out, nil
}

// parsePlain reads the two forms nearly every file uses, dd/mm/yyyy (or with '-' or '.') and
// yyyy-mm-dd (or with '/'), when they hold a real date; anything else, valid or not, is left
// to the general parser, which gives the same answer for these and the reasons for the rest.
// A validation run parses several dates per row: this path does no splitting, no map lookups
// and no allocation.
func parsePlain(s string, order DateOrder) (Date, bool) {
	if len(s) != 10 {
		return Date{}, false
	}
	var y, m, d int
	switch c := s[2]; {
	case (c == '/' || c == '-' || c == '.') && s[5] == c:
		a, ok1 := two(s[0], s[1])
		b, ok2 := two(s[3], s[4])
		hi, ok3 := two(s[6], s[7])
		lo, ok4 := two(s[8], s[9])
		if !(ok1 && ok2 && ok3 && ok4) {
			return Date{}, false
		}
		d, m, y = a, b, hi*100+lo
		if order == MonthFirst {
			d, m = m, d
		}
	case (s[4] == '-' || s[4] == '/') && s[7] == s[4]:
		hi, ok1 := two(s[0], s[1])
		lo, ok2 := two(s[2], s[3])
		b, ok3 := two(s[5], s[6])
		a, ok4 := two(s[8], s[9])
		if !(ok1 && ok2 && ok3 && ok4) {
			return Date{}, false
		}
		y, m, d = hi*100+lo, b, a
	default:
		return Date{}, false
	}
	if y < MinYear || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return Date{}, false
	}
	return Date{Time: time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)}, true
}

// two reads two decimal digits.
func two(a, b byte) (int, bool) {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

// daysIn is the length of month m (1-12) of year y in the Gregorian calendar.
func daysIn(y, m int) int {
	switch m {
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

// isNumber reports whether s is digits with at most one '.', the shape of an Excel serial.
// strconv.ParseFloat alone would also take "NaN", "Inf", "1e5" and "0x1p3".
func isNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

func parseNumber(s string) (Date, error) {
	if len(s) == 8 { // yyyymmdd, as MIS exports write it; serials never reach 8 digits
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[4:6])
		d, _ := strconv.Atoi(s[6:])
		if y >= MinYear {
			if err := checkDay(y, time.Month(m), d); err != nil {
				return Date{}, err
			}
			return Date{Time: time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)}, nil
		}
	}
	if len(s) == 4 {
		if y, _ := strconv.Atoi(s); y >= MinYear && y < 2200 {
			return Date{}, errors.New("is a year, not a whole date: give the day and month too (" + acceptedFormats + ")")
		}
	}
	serial, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Date{}, errFormat
	}
	return fromSerial(serial, false)
}

// splitDateTime separates the date from a time of day: at a 'T' after yyyy-mm-dd (ISO-8601),
// after "d mmm yyyy" (three words), or at the first space.
func splitDateTime(s string) (date, clock string) {
	if len(s) > 10 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') {
		return s[:10], s[11:]
	}
	if i := strings.IndexByte(s, ' '); i > 0 {
		rest := strings.TrimLeft(s[i+1:], " ")
		if j := strings.IndexByte(rest, ' '); j > 0 {
			if _, ok := monthNames[strings.ToLower(strings.TrimSuffix(rest[:j], ","))]; ok { // 5 Sep 2026 [10:00]
				after := strings.TrimLeft(rest[j+1:], " ")
				year, clock, _ := strings.Cut(after, " ")
				return s[:i] + " " + rest[:j] + " " + year, strings.TrimSpace(clock)
			}
		}
		return s[:i], strings.TrimSpace(s[i+1:])
	}
	return s, ""
}

// parseDay reads the date part into year, month and day, checking it is a real day.
func parseDay(s string, order DateOrder, now time.Time) (int, time.Month, int, error) {
	var p [3]string
	n := 0
	sep := byte(0)
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			if !(c == '-' || c == '/' || c == '.' || c == ' ' || c == ',') {
				continue
			}
			if c == ',' || c == ' ' {
				if c == ',' && i+1 < len(s) && s[i+1] == ' ' {
					continue // "5 Sep, 2026": the space that follows separates
				}
				c = ' '
			}
			if sep == 0 {
				sep = c
			} else if c != sep {
				return 0, 0, 0, errors.New("mixes separators: write it as " + acceptedFormats)
			}
		}
		if n == 3 {
			return 0, 0, 0, errFormat
		}
		p[n] = strings.TrimSuffix(s[start:i], ",")
		n++
		start = i + 1
	}
	if n != 3 {
		return 0, 0, 0, errFormat
	}
	var y, d, m int
	var mo time.Month
	var ok bool
	if len(p[0]) == 4 { // yyyy-mm-dd, yyyy/mm/dd
		if y, ok = digits(p[0], 4, 4); !ok {
			return 0, 0, 0, errFormat
		}
		if mo, ok = monthOf(p[1]); !ok {
			return 0, 0, 0, errFormat
		}
		if d, ok = digits(p[2], 1, 2); !ok {
			return 0, 0, 0, errFormat
		}
		if mo < 1 || mo > 12 {
			return 0, 0, 0, fmt.Errorf("has no month %d: it reads as year-month-day", int(mo))
		}
	} else {
		first, second := p[0], p[1]
		named := false
		if mo, named = monthNames[strings.ToLower(strings.TrimSuffix(second, "."))]; named {
			if d, ok = digits(first, 1, 2); !ok {
				return 0, 0, 0, errFormat
			}
		} else {
			if order == MonthFirst {
				first, second = second, first
			}
			if d, ok = digits(first, 1, 2); !ok {
				return 0, 0, 0, errFormat
			}
			if m, ok = digits(second, 1, 2); !ok {
				return 0, 0, 0, errFormat
			}
			mo = time.Month(m)
		}
		switch len(p[2]) {
		case 2:
			yy, ok2 := digits(p[2], 2, 2)
			if !ok2 {
				return 0, 0, 0, errFormat
			}
			y = windowYear(yy, now)
		case 4:
			if y, ok = digits(p[2], 4, 4); !ok {
				return 0, 0, 0, errFormat
			}
		default:
			return 0, 0, 0, errors.New("has a year that is not two or four digits")
		}
		if !named && (mo < 1 || mo > 12) {
			msg := fmt.Sprintf("has no month %d", int(mo))
			if d >= 1 && d <= 12 { // the other order would read: the file is probably written the other way
				if order == MonthFirst {
					msg += ": the file seems to write the day first; leave out --date-order mdy"
				} else {
					msg += ": the file seems to write the month first (US style); run with --date-order mdy"
				}
			}
			return 0, 0, 0, errors.New(msg)
		}
	}
	if y < MinYear {
		return 0, 0, 0, fmt.Errorf("has the year %04d, which cannot be right: check the year", y)
	}
	if err := checkDay(y, mo, d); err != nil {
		return 0, 0, 0, err
	}
	return y, mo, d, nil
}

// checkDay rejects days a month does not have, with the reason.
func checkDay(y int, mo time.Month, d int) error {
	if mo < 1 || mo > 12 {
		return fmt.Errorf("has no month %d", int(mo))
	}
	last := time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d < 1 || d > last {
		return fmt.Errorf("is not a real date: %s %d has %d days", mo, y, last)
	}
	return nil
}

func monthOf(s string) (time.Month, bool) {
	if m, ok := monthNames[strings.ToLower(strings.TrimSuffix(s, "."))]; ok {
		return m, true
	}
	m, ok := digits(s, 1, 2)
	return time.Month(m), ok
}

// digits parses an unsigned decimal of min..max digits.
func digits(s string, min, max int) (int, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// windowYear puts a two-digit year in the window of 80 years back and 20 ahead of now.
func windowYear(yy int, now time.Time) int {
	y := now.Year()/100*100 + yy
	if y > now.Year()+20 {
		y -= 100
	} else if y <= now.Year()-80 {
		y += 100
	}
	return y
}

var errClock = errors.New("has a time that is not HH:MM or HH:MM:SS")

// parseClock reads H:MM, HH:MM:SS or HH:MM:SS.fff, then optionally AM/PM or a time zone (Z,
// ±hh:mm, ±hhmm, ±hh), and returns the zone as seconds east of UTC.
func parseClock(s string) (hh, mm, ss, ns, offset int, err error) {
	s = strings.TrimSpace(s)
	// The zone: a trailing Z or a sign that follows the clock digits.
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		s = strings.TrimSpace(s[:len(s)-1])
	} else if i := strings.LastIndexAny(s, "+-"); i > 0 {
		if offset, err = parseOffset(s[i:]); err != nil {
			return
		}
		s = strings.TrimSpace(s[:i])
	}
	pm, am := false, false
	if l := len(s); l > 2 {
		switch strings.ToLower(s[l-2:]) {
		case "am":
			am = true
		case "pm":
			pm = true
		}
		if am || pm {
			s = strings.TrimSpace(s[:l-2])
		}
	}
	hs, rest, ok1 := strings.Cut(s, ":")
	ms, secs, hasSecs := strings.Cut(rest, ":")
	var ok bool
	if !ok1 {
		return 0, 0, 0, 0, 0, errClock
	}
	if hh, ok = digits(hs, 1, 2); !ok {
		return 0, 0, 0, 0, 0, errClock
	}
	if mm, ok = digits(ms, 2, 2); !ok {
		return 0, 0, 0, 0, 0, errClock
	}
	if hasSecs {
		whole, frac, hasFrac := strings.Cut(secs, ".")
		if ss, ok = digits(whole, 2, 2); !ok {
			return 0, 0, 0, 0, 0, errClock
		}
		if hasFrac {
			if len(frac) == 0 || len(frac) > 9 {
				return 0, 0, 0, 0, 0, errClock
			}
			f, ok := digits(frac, 1, 9)
			if !ok {
				return 0, 0, 0, 0, 0, errClock
			}
			for i := len(frac); i < 9; i++ {
				f *= 10
			}
			ns = f
		}
	}
	if am || pm {
		if hh < 1 || hh > 12 {
			return 0, 0, 0, 0, 0, errClock
		}
		hh %= 12
		if pm {
			hh += 12
		}
	}
	if hh > 23 || mm > 59 || ss > 59 {
		return 0, 0, 0, 0, 0, errors.New("has a time that does not exist (hours 0-23, minutes and seconds 0-59)")
	}
	return hh, mm, ss, ns, offset, nil
}

// parseOffset reads +hh:mm, +hhmm or +hh (or with '-') as seconds east of UTC.
func parseOffset(s string) (int, error) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	var h, m int
	var ok bool
	switch {
	case len(s) == 2:
		h, ok = digits(s, 2, 2)
	case len(s) == 4:
		if h, ok = digits(s[:2], 2, 2); ok {
			m, ok = digits(s[2:], 2, 2)
		}
	case len(s) == 5 && s[2] == ':':
		if h, ok = digits(s[:2], 2, 2); ok {
			m, ok = digits(s[3:], 2, 2)
		}
	}
	if !ok || h > 14 || m > 59 {
		return 0, errors.New("has a time zone that is not Z or ±hh:mm")
	}
	return sign * (h*3600 + m*60), nil
}

// ExcelEpoch1900 is day 0 of Excel's 1900 date system, allowing for its fictitious 29 Feb 1900
// (serials from 61 on are one day too high, so counting from 30 Dec 1899 is right for them).
var ExcelEpoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ExcelEpoch1904 is day 0 of the 1904 date system of old Mac workbooks.
var ExcelEpoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

// maxSerial is 9999-12-31 in the 1900 system.
const maxSerial = 2958465

// FromSerial converts an Excel serial date number; date1904 selects the workbook's system.
func FromSerial(serial float64, date1904 bool) (Date, error) { return fromSerial(serial, date1904) }

func fromSerial(serial float64, date1904 bool) (Date, error) {
	// Below 61 the 1900 system's leap-year bug makes serials ambiguous, and no learner record is
	// dated January or February 1900. The 1904 system counts from 1 Jan 1904 with no such bug;
	// its serials are 1462 days smaller for the same day. The tests are written so NaN fails them.
	epoch, min, max := ExcelEpoch1900, 61.0, float64(maxSerial)
	if date1904 {
		epoch, min, max = ExcelEpoch1904, 0, maxSerial-1462
	}
	if !(serial >= min && serial <= max) {
		return Date{}, errors.New("is a number, not a date")
	}
	days := int(serial)
	secs := int((serial-float64(days))*86400 + 0.5)
	t := epoch.AddDate(0, 0, days).Add(time.Duration(secs) * time.Second)
	return Date{Time: t, HasTime: secs != 0}, nil
}
