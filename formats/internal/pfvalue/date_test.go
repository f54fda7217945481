package pfvalue

import (
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline/check"
)

var dateNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var dateSeeds = []string{
	"05/09/2026", "05/09/2026 09:00", "05/09/2026 09:00:30", "05-09-2026 23:59", "05.09.2026",
	"2026-09-05", "2026-09-05 13:45:10", "2026-09-05 13:45", "05-Sep-2026 09:00", "05-SEP-2026",
	"31/02/2026", "29/02/2024", "29/02/2025", "00/01/2026", "05/13/2026", "05/09/2026 24:00",
	"05/09/2026 09:60", "05/09/2026  09:00", "05/09/26", "5/9/2026", "2026-9-5", "05-Sepx2026",
	"05-Spt-2026", "2026-09-05T09:00:00Z", "46270", "0000-01-01", "12/11/2026 07:05:09", "05/09/2026 9:00",
	"05/09-2026", "2026/09/05", "31-Jun-2026", "01-jan-0001 00:00", "01/01/1899", "01/01/1900",
	"5 Sep 2026", "05/09/2026 9:00 PM", "20260905", "2026-09-05T09:00:00+01:00",
}

// TestFastDateAgrees pins the fast path to the general parser on the seeds, both date orders.
func TestFastDateAgrees(t *testing.T) {
	for _, s := range dateSeeds {
		for _, mf := range []bool{false, true} {
			agree(t, s, mf)
		}
	}
	if _, ok := fastDate("05/09/2026 09:00", false); !ok {
		t.Error("the common layout missed the fast path")
	}
}

func agree(t *testing.T, s string, monthFirst bool) {
	t.Helper()
	d, ok := fastDate(s, monthFirst)
	if !ok {
		return
	}
	order := check.DayFirst
	if monthFirst {
		order = check.MonthFirst
	}
	want, err := check.ParseDate(s, order, dateNow)
	if err != nil {
		t.Errorf("fastDate(%q, mdy=%v) = %v, but ParseDate rejects it: %v", s, monthFirst, d, err)
		return
	}
	if d != FromCheck(want) {
		t.Errorf("fastDate(%q, mdy=%v) = %+v, ParseDate = %+v", s, monthFirst, d, FromCheck(want))
	}
}

// FuzzDate: whatever the fast path accepts, the general parser accepts with the same answer.
func FuzzDate(f *testing.F) {
	for _, s := range dateSeeds {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, monthFirst bool) { agree(t, s, monthFirst) })
}

func TestMomentFormats(t *testing.T) {
	m := Moment{Y: 2026, Mo: 9, D: 5, H: 9, Mi: 7, S: 3, HasTime: true}
	want := time.Date(2026, 9, 5, 9, 7, 3, 0, time.UTC)
	for got, layout := range map[string]string{
		m.DMYHM(): "02-Jan-2006 15:04", m.DMY(): "02-Jan-2006", m.YMD(): "2006-01-02",
		m.YMDHMS(): "2006-01-02 15:04:05", m.XSD(): "2006-01-02T15:04:05",
		m.DMYHMNumeric(): "02-01-2006 15:04", m.DMYNumeric(): "02-01-2006",
	} {
		if w := want.Format(layout); got != w {
			t.Errorf("%s: got %q, want %q", layout, got, w)
		}
	}
	for mo := 1; mo <= 12; mo++ {
		m := Moment{Y: 999, Mo: mo, D: 1}
		if got, w := m.DMY(), time.Date(999, time.Month(mo), 1, 0, 0, 0, 0, time.UTC).Format("02-Jan-2006"); got != w {
			t.Errorf("month %d: %q, want %q", mo, got, w)
		}
		if got, w := m.DMYNumeric(), time.Date(999, time.Month(mo), 1, 0, 0, 0, 0, time.UTC).Format("02-01-2006"); got != w {
			t.Errorf("month %d numeric: %q, want %q", mo, got, w)
		}
	}
	a, b := Moment{Y: 2026, Mo: 9, D: 5, H: 9}, Moment{Y: 2026, Mo: 9, D: 5, H: 10}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("Compare")
	}
}

func TestFromCheckKeepsWallClock(t *testing.T) {
	d, err := check.ParseDate("2026-09-05T09:30:00+01:00", check.DayFirst, dateNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := FromCheck(d).XSD(); got != "2026-09-05T09:30:00" {
		t.Errorf("got %s, want the time as written", got)
	}
}
