package check

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// now pins the clock of every date test: two-digit years depend on it.
var testNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseDateAccepts(t *testing.T) {
	tests := []struct {
		in      string
		order   DateOrder
		want    time.Time // the instant, UTC
		wantDay time.Time // the calendar day as written
		hasTime bool
	}{
		// The formats of the brief, day first.
		{in: "2026-09-05", want: day(2026, 9, 5)},
		{in: "05/09/2026", want: day(2026, 9, 5)},
		{in: "5/9/2026", want: day(2026, 9, 5)},
		{in: "05-09-2026", want: day(2026, 9, 5)},
		{in: "05.09.2026", want: day(2026, 9, 5)},
		{in: "05-Sep-2026", want: day(2026, 9, 5)},
		{in: "05-sep-2026", want: day(2026, 9, 5)},
		{in: "05-SEPT-2026", want: day(2026, 9, 5)},
		{in: "5-September-2026", want: day(2026, 9, 5)},
		{in: "05-09-26", want: day(2026, 9, 5)},
		{in: "05/09/26", want: day(2026, 9, 5)},
		{in: "05-Sep-26", want: day(2026, 9, 5)},
		{in: "5 Sep 2026", want: day(2026, 9, 5)},
		{in: "5 September 2026", want: day(2026, 9, 5)},
		{in: "5 Sep, 2026", want: day(2026, 9, 5)},
		{in: "5  Sep  2026", want: day(2026, 9, 5)},
		{in: "2026/09/05", want: day(2026, 9, 5)},
		{in: "2026-Sep-05", want: day(2026, 9, 5)},
		{in: "20260905", want: day(2026, 9, 5)},
		{in: "  05/09/2026  ", want: day(2026, 9, 5)},
		// Month first when asked; a month name is never ambiguous.
		{in: "09/05/2026", order: MonthFirst, want: day(2026, 9, 5)},
		{in: "9/5/26", order: MonthFirst, want: day(2026, 9, 5)},
		{in: "05-Sep-2026", order: MonthFirst, want: day(2026, 9, 5)},
		{in: "2026-09-05", order: MonthFirst, want: day(2026, 9, 5)},
		// Times of day.
		{in: "05/09/2026 09:30", want: time.Date(2026, 9, 5, 9, 30, 0, 0, time.UTC), hasTime: true},
		{in: "05/09/2026 9:30", want: time.Date(2026, 9, 5, 9, 30, 0, 0, time.UTC), hasTime: true},
		{in: "05/09/2026 09:30:15", want: time.Date(2026, 9, 5, 9, 30, 15, 0, time.UTC), hasTime: true},
		{in: "2026-09-05 23:59:59", want: time.Date(2026, 9, 5, 23, 59, 59, 0, time.UTC), hasTime: true},
		{in: "05-Sep-26 14:00", want: time.Date(2026, 9, 5, 14, 0, 0, 0, time.UTC), hasTime: true},
		{in: "5 Sep 2026 14:00", want: time.Date(2026, 9, 5, 14, 0, 0, 0, time.UTC), hasTime: true},
		{in: "05/09/2026 2:30 PM", want: time.Date(2026, 9, 5, 14, 30, 0, 0, time.UTC), hasTime: true},
		{in: "05/09/2026 12:05am", want: time.Date(2026, 9, 5, 0, 5, 0, 0, time.UTC), hasTime: true},
		// ISO-8601, as the vendor documents write dates, with and without a zone.
		{in: "2022-02-23T12:49:33.150Z", want: time.Date(2022, 2, 23, 12, 49, 33, 150e6, time.UTC), hasTime: true},
		{in: "2026-09-05T00:00:00.000Z", want: day(2026, 9, 5), hasTime: true},
		{in: "2026-09-05T10:00", want: time.Date(2026, 9, 5, 10, 0, 0, 0, time.UTC), hasTime: true},
		{in: "2026-09-05T10:00:00", want: time.Date(2026, 9, 5, 10, 0, 0, 0, time.UTC), hasTime: true},
		{in: "2026-09-05T10:00:00+01:00", want: time.Date(2026, 9, 5, 9, 0, 0, 0, time.UTC), hasTime: true},
		{in: "2026-09-05T10:00:00-0500", want: time.Date(2026, 9, 5, 15, 0, 0, 0, time.UTC), hasTime: true},
		{in: "2026-09-05 10:00:00+01", want: time.Date(2026, 9, 5, 9, 0, 0, 0, time.UTC), hasTime: true},
		{in: "2026-09-05T10:00:00.123456789Z", want: time.Date(2026, 9, 5, 10, 0, 0, 123456789, time.UTC), hasTime: true},
		// A midnight date of birth in British Summer Time is still the 14th, though its instant
		// is on the 13th in UTC: the off-by-one-day mistake of naive converters.
		{in: "2007-03-14T00:00:00+01:00", want: time.Date(2007, 3, 13, 23, 0, 0, 0, time.UTC), wantDay: day(2007, 3, 14), hasTime: true},
		{in: "2007-03-14T23:30:00-05:00", want: time.Date(2007, 3, 15, 4, 30, 0, 0, time.UTC), wantDay: day(2007, 3, 14), hasTime: true},
		// Excel serials (1900 system) as CSV exports carry them.
		{in: "45678", want: day(2025, 1, 21)},
		{in: "46270", want: day(2026, 9, 5)},
		{in: "46270.5", want: time.Date(2026, 9, 5, 12, 0, 0, 0, time.UTC), hasTime: true},
		{in: "61", want: day(1900, 3, 1)},
		{in: "2958465", want: day(9999, 12, 31)},
		// Leap days.
		{in: "29/02/2024", want: day(2024, 2, 29)},
		{in: "29/02/2000", want: day(2000, 2, 29)},
		// The two-digit year window: 80 years back, 20 ahead of 2026.
		{in: "01/01/46", want: day(2046, 1, 1)},
		{in: "01/01/47", want: day(1947, 1, 1)},
		{in: "14/03/07", want: day(2007, 3, 14)},
		{in: "14/03/99", want: day(1999, 3, 14)},
		{in: "01/01/00", want: day(2000, 1, 1)},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in, tc.order, testNow)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tc.in, err)
			continue
		}
		if !got.Time.Equal(tc.want) || got.Time.Location() != time.UTC {
			t.Errorf("ParseDate(%q) = %v, want %v", tc.in, got.Time, tc.want)
		}
		if got.HasTime != tc.hasTime {
			t.Errorf("ParseDate(%q).HasTime = %v, want %v", tc.in, got.HasTime, tc.hasTime)
		}
		wantDay := tc.wantDay
		if wantDay.IsZero() {
			wantDay = time.Date(tc.want.Year(), tc.want.Month(), tc.want.Day(), 0, 0, 0, 0, time.UTC)
		}
		if !got.Day().Equal(wantDay) {
			t.Errorf("ParseDate(%q).Day() = %v, want %v", tc.in, got.Day(), wantDay)
		}
	}
}

func TestParseDateRejects(t *testing.T) {
	tests := []struct {
		in      string
		order   DateOrder
		message string // a part of the error text
	}{
		{"", DayFirst, "is empty"},
		{"31/02/2026", DayFirst, "is not a real date: February 2026 has 28 days"},
		{"29/02/2026", DayFirst, "February 2026 has 28 days"},
		{"29/02/1900", DayFirst, "February 1900 has 28 days"},
		{"31/04/2026", DayFirst, "April 2026 has 30 days"},
		{"2026-02-30", DayFirst, "February 2026 has 28 days"},
		{"2026-02-30T00:00:00Z", DayFirst, "February 2026 has 28 days"},
		{"00/01/2026", DayFirst, "January 2026 has 31 days"},
		{"20260231", DayFirst, "February 2026 has 28 days"},
		{"31-Feb-2026", DayFirst, "February 2026 has 28 days"},
		// A US date read day first, and the other way round: the message says what to do.
		{"09/25/2026", DayFirst, "has no month 25: the file seems to write the month first (US style); run with --date-order mdy"},
		{"25/09/2026", MonthFirst, "has no month 25: the file seems to write the day first"},
		{"13/13/2026", DayFirst, "has no month 13"},
		{"2026-13-01", DayFirst, "has no month 13: it reads as year-month-day"},
		{"05/09/0226", DayFirst, "has the year 0226, which cannot be right"},
		{"05/09/226", DayFirst, "year that is not two or four digits"},
		{"05/09/20266", DayFirst, "year that is not two or four digits"},
		{"2026", DayFirst, "is a year, not a whole date"},
		{"12", DayFirst, "is a number, not a date"},
		{"0", DayFirst, "is a number, not a date"},
		{"9999999", DayFirst, "is a number, not a date"},
		{"NaN", DayFirst, "not a date in an accepted format"},
		{"Inf", DayFirst, "not a date in an accepted format"},
		{"1e5", DayFirst, "not a date in an accepted format"},
		{"0x1p10", DayFirst, "not a date in an accepted format"},
		{"-45678", DayFirst, "not a date in an accepted format"},
		{"45678.", DayFirst, "not a date in an accepted format"},
		{"next Tuesday", DayFirst, "not a date in an accepted format"},
		{"05/09", DayFirst, "not a date in an accepted format"},
		{"05/09/2026/1", DayFirst, "not a date in an accepted format"},
		{"05/09-2026", DayFirst, "mixes separators"},
		{"005/09/2026", DayFirst, "not a date in an accepted format"},
		{"05/Sept/2026x", DayFirst, "year that is not two or four digits"},
		{"05/Foo/2026", DayFirst, "not a date in an accepted format"},
		{"05/09/2026 25:00", DayFirst, "time that does not exist"},
		{"05/09/2026 10:60", DayFirst, "time that does not exist"},
		{"05/09/2026 10", DayFirst, "not HH:MM"},
		{"05/09/2026 10:5", DayFirst, "not HH:MM"},
		{"05/09/2026 13:00 PM", DayFirst, "not HH:MM"},
		{"05/09/2026 ten past", DayFirst, "not HH:MM"},
		{"2026-09-05T10:00:00+25:00", DayFirst, "time zone"},
		{"2026-09-05T10:00:00.Z", DayFirst, "not HH:MM"},
		{"2026-09-05T", DayFirst, "not HH:MM"},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in, tc.order, testNow)
		if err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error containing %q", tc.in, got.Time, tc.message)
			continue
		}
		if !strings.Contains(err.Error(), tc.message) {
			t.Errorf("ParseDate(%q) error %q, want it to contain %q", tc.in, err, tc.message)
		}
	}
}

func TestFromSerial(t *testing.T) {
	tests := []struct {
		serial   float64
		date1904 bool
		want     time.Time
		ok       bool
	}{
		{45678, false, day(2025, 1, 21), true},
		{45658, false, day(2025, 1, 1), true},
		{44214, true, day(2025, 1, 19), true}, // 1904 system: 1462 days fewer for the same day
		{45678 - 1462, true, day(2025, 1, 21), true},
		{0, true, day(1904, 1, 1), true},
		{60, false, time.Time{}, false}, // the fictitious 29 Feb 1900
		{math.NaN(), false, time.Time{}, false},
		{math.Inf(1), false, time.Time{}, false},
		{-1, true, time.Time{}, false},
		{maxSerial + 1, false, time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := FromSerial(tc.serial, tc.date1904)
		if (err == nil) != tc.ok {
			t.Errorf("FromSerial(%v, %v) error %v, want ok=%v", tc.serial, tc.date1904, err, tc.ok)
			continue
		}
		if tc.ok && !got.Time.Equal(tc.want) {
			t.Errorf("FromSerial(%v, %v) = %v, want %v", tc.serial, tc.date1904, got.Time, tc.want)
		}
	}
}

func TestWindowYearEdges(t *testing.T) {
	for _, tc := range []struct {
		now  int
		yy   int
		want int
	}{
		{2026, 46, 2046}, {2026, 47, 1947}, {2026, 26, 2026}, {2026, 0, 2000},
		{2099, 19, 2119}, {2099, 20, 2020}, {2099, 99, 2099},
		{2001, 21, 2021}, {2001, 22, 1922},
	} {
		if got := windowYear(tc.yy, time.Date(tc.now, 1, 1, 0, 0, 0, 0, time.UTC)); got != tc.want {
			t.Errorf("windowYear(%02d) in %d = %d, want %d", tc.yy, tc.now, got, tc.want)
		}
	}
}

// FuzzParseDate holds the parser to what callers rely on: it never panics, an accepted date is a
// real day no earlier than MinYear, and that day written back in ISO, UK or US form (with the
// matching order) parses to the same day.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-09-05", "05/09/2026", "05-Sep-26", "5 Sep, 2026 10:00", "45678.25",
		"2026-09-05T10:00:00.123+01:00", "31/02/2026", "20260905", "NaN", "1e5", "05/09/2026 2:30 PM",
		"2026-09-05T", "0000-00-00", "05//2026", "5 Sept 26", "29/02/2024 23:59:59"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, mdy bool) {
		order := DayFirst
		if mdy {
			order = MonthFirst
		}
		d, err := ParseDate(s, order, testNow)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseDate(%q): empty error text", s)
			}
			return
		}
		dd := d.Day()
		if dd.Year() < MinYear || dd.Year() > 9999 {
			t.Fatalf("ParseDate(%q) = %v: year out of range", s, dd)
		}
		for _, back := range []struct {
			s     string
			order DateOrder
		}{
			{dd.Format("2006-01-02"), DayFirst},
			{dd.Format("02/01/2006"), DayFirst},
			{dd.Format("01/02/2006"), MonthFirst},
			{dd.Format("02-Jan-2006"), MonthFirst},
		} {
			again, err := ParseDate(back.s, back.order, testNow)
			if err != nil || !again.Day().Equal(dd) {
				t.Fatalf("ParseDate(%q) = %v, but its form %q parses to %v, %v", s, dd, back.s, again.Day(), err)
			}
		}
	})
}

func BenchmarkParseDate(b *testing.B) {
	for _, in := range []string{"05/09/2026", "2026-09-05", "05-Sep-2026 10:30", "2022-02-23T12:49:33.150Z", "45678"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDate(in, DayFirst, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestParsePlainAgrees holds the fast path for dd/mm/yyyy and yyyy-mm-dd to the general parser:
// every day, month and separator around the edges of the calendar, in both date orders, gives
// the same date, or is left to the general parser (which then rejects it or reads it the same).
func TestParsePlainAgrees(t *testing.T) {
	years := []int{1899, 1900, 1999, 2000, 2024, 2026, 2100, 9999}
	fast := 0
	for _, order := range []DateOrder{DayFirst, MonthFirst} {
		for _, y := range years {
			for m := 0; m <= 13; m++ {
				for d := 0; d <= 32; d++ {
					ins := []string{
						fmt.Sprintf("%02d/%02d/%04d", d, m, y), fmt.Sprintf("%02d-%02d-%04d", d, m, y),
						fmt.Sprintf("%02d.%02d.%04d", d, m, y), fmt.Sprintf("%04d-%02d-%02d", y, m, d),
						fmt.Sprintf("%04d/%02d/%02d", y, m, d), fmt.Sprintf("%02d/%02d-%04d", d, m, y),
						fmt.Sprintf("%04d-%02d/%02d", y, m, d), fmt.Sprintf("%02d/%02d/ %03d", d, m, y%1000),
					}
					for _, in := range ins {
						got, ok := parsePlain(in, order)
						want, err := parseGeneral(in, order, testNow)
						if !ok {
							continue
						}
						fast++
						if err != nil || got != want {
							t.Errorf("order %d, %q: fast path %v, general parser %v, %v", order, in, got.Time, want.Time, err)
						}
					}
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("the fast path took no input")
	}
}

// Civil and DayNumber must agree with the time package on every day from 1600 to 2600.
func TestCivilAgreesWithTime(t *testing.T) {
	from := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2600, 12, 31, 0, 0, 0, 0, time.UTC)
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		n := Date{Time: day}.DayNumber()
		if got := DayTime(n); !got.Equal(day) {
			t.Fatalf("DayTime(DayNumber(%s)) = %s", day, got)
		}
		y, m, d := Civil(n)
		wy, wm, wd := day.Date()
		if y != wy || m != int(wm) || d != wd {
			t.Fatalf("Civil(%d) = %d-%d-%d, want %s", n, y, m, d, day.Format("2006-01-02"))
		}
	}
	// A date with a time and an offset is the day as written.
	d := Date{Time: time.Date(2007, 3, 13, 23, 0, 0, 0, time.UTC), HasTime: true, Offset: 3600}
	if y, m, dd := Civil(d.DayNumber()); y != 2007 || m != 3 || dd != 14 {
		t.Errorf("2007-03-14T00:00+01:00 is day %d-%d-%d", y, m, dd)
	}
}
