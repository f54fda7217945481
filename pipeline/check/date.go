package check

import (
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

var monthAbbr = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

// Date is a parsed input date: the instant (UTC) and whether the input carried a time of day.
type Date struct {
	Time    time.Time
	HasTime bool
}

// ParseDate reads the date formats of the vendor documents and of spreadsheets: yyyy-mm-dd,
// dd/mm/yyyy, dd-mm-yyyy, dd-mmm-yyyy, dd-mm-yy, dd-mmm-yy, dd.mm.yyyy, each optionally followed by
// HH:MM or HH:MM:SS; ISO-8601 with a time zone; and Excel serial numbers (1900 system). Two-digit
// years fall in the window of 80 years back and 20 ahead of now. Impossible dates are errors.
func ParseDate(s string, order DateOrder, now time.Time) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, fmt.Errorf("is empty")
	}
	if strings.Contains(s, "T") && len(s) >= 19 && s[4] == '-' {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04:05.000", "2006-01-02T15:04"} {
			if t, err := time.Parse(layout, s); err == nil {
				return Date{Time: t.UTC(), HasTime: true}, nil
			}
		}
		return Date{}, fmt.Errorf("is not a valid ISO-8601 date and time")
	}
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		return fromSerial(serial, false)
	}
	datePart, timePart, _ := strings.Cut(s, " ")
	timePart = strings.TrimSpace(timePart)
	var hh, mm, ss int
	hasTime := false
	if timePart != "" {
		var err error
		hh, mm, ss, err = parseClock(timePart)
		if err != nil {
			return Date{}, err
		}
		hasTime = true
	}
	sep := byte(0)
	for _, c := range []byte{'-', '/', '.'} {
		if strings.IndexByte(datePart, c) > 0 {
			sep = c
			break
		}
	}
	if sep == 0 {
		return Date{}, fmt.Errorf("is not a date in an accepted format (such as 05/09/2026, 2026-09-05 or 05-Sep-2026)")
	}
	parts := strings.Split(datePart, string(sep))
	if len(parts) != 3 {
		return Date{}, fmt.Errorf("is not a date in an accepted format (such as 05/09/2026, 2026-09-05 or 05-Sep-2026)")
	}
	var y, d int
	var mo time.Month
	var err error
	switch {
	case len(parts[0]) == 4: // yyyy-mm-dd
		if y, err = atoi(parts[0]); err == nil {
			var m int
			if m, err = atoi(parts[1]); err == nil {
				mo = time.Month(m)
				d, err = atoi(parts[2])
			}
		}
	default:
		a, b := parts[0], parts[1]
		if m, ok := monthAbbr[strings.ToLower(b)]; ok { // dd-mmm-yyyy
			mo = m
			d, err = atoi(a)
		} else {
			if order == MonthFirst {
				a, b = b, a
			}
			var m int
			if d, err = atoi(a); err == nil {
				m, err = atoi(b)
				mo = time.Month(m)
			}
		}
		if err == nil {
			y, err = atoi(parts[2])
			if err == nil {
				switch len(parts[2]) {
				case 2:
					y = windowYear(y, now)
				case 4:
				default:
					err = fmt.Errorf("year")
				}
			}
		}
	}
	if err != nil {
		return Date{}, fmt.Errorf("is not a date in an accepted format (such as 05/09/2026, 2026-09-05 or 05-Sep-2026)")
	}
	if mo < 1 || mo > 12 {
		return Date{}, fmt.Errorf("has no month %d", mo)
	}
	t := time.Date(y, mo, d, hh, mm, ss, 0, time.UTC)
	if d < 1 || t.Day() != d {
		return Date{}, fmt.Errorf("is not a real date: %s %d has no day %d", mo, y, d)
	}
	return Date{Time: t, HasTime: hasTime}, nil
}

// windowYear puts a two-digit year in the window 80 years back, 20 ahead of now.
func windowYear(yy int, now time.Time) int {
	century := now.Year() / 100 * 100
	y := century + yy
	if y > now.Year()+20 {
		y -= 100
	} else if y <= now.Year()-80 {
		y += 100
	}
	return y
}

func parseClock(s string) (hh, mm, ss int, err error) {
	f := strings.Split(s, ":")
	if len(f) < 2 || len(f) > 3 {
		return 0, 0, 0, fmt.Errorf("has a time that is not HH:MM or HH:MM:SS")
	}
	if hh, err = atoi(f[0]); err == nil {
		if mm, err = atoi(f[1]); err == nil && len(f) == 3 {
			ss, err = atoi(f[2])
		}
	}
	if err != nil || hh > 23 || mm > 59 || ss > 59 {
		return 0, 0, 0, fmt.Errorf("has a time that is not HH:MM or HH:MM:SS")
	}
	return hh, mm, ss, nil
}

func atoi(s string) (int, error) {
	if s == "" || len(s) > 4 {
		return 0, fmt.Errorf("not a number")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a number")
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, nil
}

// ExcelEpoch1900 is day 0 of Excel's 1900 date system, allowing for its fictitious 29 Feb 1900
// (serials from 61 on are one day too high, so counting from 30 Dec 1899 is right for them).
var ExcelEpoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ExcelEpoch1904 is day 0 of the 1904 date system of old Mac workbooks.
var ExcelEpoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

// FromSerial converts an Excel serial date number; date1904 selects the workbook's system.
func FromSerial(serial float64, date1904 bool) (Date, error) { return fromSerial(serial, date1904) }

func fromSerial(serial float64, date1904 bool) (Date, error) {
	// Serials outside 1..2958465 (9999-12-31) are not dates; below 61 the 1900 system's leap-year
	// bug makes them ambiguous, and no learner record is dated January or February 1900.
	if serial < 61 || serial > 2958465 {
		return Date{}, fmt.Errorf("is a number, not a date")
	}
	epoch := ExcelEpoch1900
	if date1904 {
		epoch = ExcelEpoch1904
	}
	days := int(serial)
	frac := serial - float64(days)
	secs := int(frac*86400 + 0.5)
	t := epoch.AddDate(0, 0, days).Add(time.Duration(secs) * time.Second)
	return Date{Time: t, HasTime: secs != 0}, nil
}
