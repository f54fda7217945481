package pipeline

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline/check"
)

// now is the clock for two-digit-year windows and "date in the future" rules; tests pin it.
var now = time.Now

// SetClock pins the clock rules read (tests and golden files). It returns a function restoring it.
func SetClock(f func() time.Time) (restore func()) {
	old := now
	now = f
	return func() { now = old }
}

// Now returns the clock of the row's run, read once when the run started: rules that compare
// with today ask for it on every row, and reading the system clock per row costs more than the
// rule. Outside Run (Opts nil) it reads the pipeline's clock.
func (r *Row) Now() time.Time {
	if r.Opts != nil && !r.Opts.now.IsZero() {
		return r.Opts.now
	}
	return now()
}

// newRowOptions returns a run's options with the clock read once, at t.
func newRowOptions(monthFirst bool, t time.Time) *RowOptions {
	return &RowOptions{MonthFirst: monthFirst, now: t, todayDay: dayNumber(t)}
}

// TodayDay returns the day number (see DateDay) of Now's day in UTC: what a rule compares a date
// of birth with. A run works it out once, not for every row.
func (r *Row) TodayDay() int {
	if r.Opts != nil && !r.Opts.now.IsZero() {
		return r.Opts.todayDay
	}
	return dayNumber(r.Now())
}

func dayNumber(t time.Time) int {
	y, m, d := t.UTC().Date()
	return check.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}.DayNumber()
}

// ParseDate parses field f of r as a date with the run's date order.
func (r *Row) ParseDate(f int) (check.Date, error) {
	pd, err := r.date(f)
	if err != nil {
		return check.Date{}, err
	}
	return check.Date{Time: time.Unix(pd.sec, int64(pd.nsec)).UTC(), HasTime: pd.hasTime, Offset: int(pd.off)}, nil
}

// DateDay returns field f's date as a day number (check.Date.DayNumber: the calendar day as the
// input wrote it, in days since 1970-01-01), parsed once per row as ParseDate is. Rules that only
// compare days use it: two integers, no time.Time.
func (r *Row) DateDay(f int) (int, error) {
	pd, err := r.date(f)
	if err != nil {
		return 0, err
	}
	return int(pd.day), nil
}

// date returns field f's parsed date from the row's cache, parsing it the first time.
func (r *Row) date(f int) (*parsedDate, error) {
	// The field checks and the kind's rules both read a row's dates: parse each once per row.
	// A Row reused for another record outside Run starts afresh.
	if r.datesOf != r.Rec || r.datesRow != r.Rec.Row {
		r.dates, r.dateErrs, r.datesOf, r.datesRow = r.dates[:0], r.dateErrs[:0], r.Rec, r.Rec.Row
	}
	for i := range r.dates {
		if pd := &r.dates[i]; pd.f == int32(f) {
			if pd.err >= 0 {
				return nil, r.dateErrs[pd.err]
			}
			return pd, nil
		}
	}
	d, err := r.parseDate(f)
	pd := parsedDate{f: int32(f), err: -1}
	if err != nil {
		pd.err = int32(len(r.dateErrs))
		r.dateErrs = append(r.dateErrs, err)
	} else {
		pd.sec, pd.nsec, pd.hasTime, pd.off = d.Time.Unix(), int32(d.Time.Nanosecond()), d.HasTime, int32(d.Offset)
		pd.day = int32(d.DayNumber())
	}
	r.dates = append(r.dates, pd)
	if err != nil {
		return nil, err
	}
	return &r.dates[len(r.dates)-1], nil
}

// parsedDate is a date field of a row as ParseDate read it. It holds no pointer (the error, when
// there is one, waits in the row's dateErrs): a slice of pointers costs a write barrier for every
// element stored while the collector runs, and dates are stored three times a row.
type parsedDate struct {
	sec     int64 // the instant, Unix seconds (check.Date's Time is in UTC)
	nsec    int32
	off     int32 // check.Date's Offset
	day     int32 // its DayNumber
	f       int32
	err     int32 // index in dateErrs, or -1
	hasTime bool
}

func (r *Row) parseDate(f int) (check.Date, error) {
	order := check.DayFirst
	if r.Opts != nil && r.Opts.MonthFirst {
		order = check.MonthFirst
	}
	if r.CellType(f) == CellNumber && r.Rec.Src.Date1904 {
		if n, ok := check.Integer(r.Value(f)); ok {
			return check.FromSerial(float64(n), true)
		}
	}
	return check.ParseDate(r.Value(f), order, r.Now())
}

// checkRow runs the reader's problems, the field checks every kind shares, then the kind's rules.
// present lists the fields the table has a column for, in field order: the others have nothing to
// check, and a kind may have twice as many fields as a file has columns.
func checkRow(r *Row, present []int) {
	for _, p := range r.Rec.Problems {
		r.Problems = append(r.Problems, p)
		if p.Severity == Error {
			r.errors++
		}
	}
	if r.errors > 0 && len(r.Rec.Cells) == 0 {
		return // an unreadable row: its cells are unknown, so field rules would only add noise
	}
	if totalsRow(r.Rec.Cells) {
		r.NotData = true
		r.Report(-1, RuleTotalsRow, Warning, fmt.Sprintf("Row %d looks like a totals line (%q), not a row of data, so it is passed over; delete it to silence this warning.", r.Rec.Row, strings.TrimSpace(firstValue(r.Rec.Cells))))
		return
	}
	k := r.Map.Kind
	for _, f := range present {
		checkField(r, f, &k.Fields[f])
	}
	for _, rule := range k.RowRules {
		rule(r)
	}
}

func checkField(r *Row, f int, fd *Field) {
	if !r.Has(f) {
		return // a missing required column is reported once on the header row
	}
	v := r.Value(f)
	if v == "" && r.CellType(f) == CellFormula {
		r.Errorf(f, RuleExcelError, "%s holds a formula whose value was never saved (the file was written by a program that does not calculate formulas): open it in Excel or LibreOffice and save it again, or type the value in.", fd.Name)
		return
	}
	if v == "" {
		if fd.Required {
			r.Errorf(f, RuleRequired, "%s is required and is empty.", fd.Name)
		}
		return
	}
	if len(v) > 1 && v[0] == '\'' && strings.IndexByte("=+-@", v[1]) >= 0 {
		// The apostrophe that bulk's own CSV reports and pulls (report.SafeCell), and other
		// tools guarding against CSV injection, put before a cell starting with = + - @: not
		// part of the value, or a phone number '+44 ... would load back changed.
		v = v[1:]
		r.Rec.Cells[r.Map.Col[f]] = v
	}
	if fd.AllowNone != "" && strings.EqualFold(v, fd.AllowNone) {
		return
	}
	if fd.Type == Text && strings.IndexByte(v, '?') >= 0 && r.Rec.Src.Encoding == EncodingWindows1252 && lostToQuestionMarks(fd.Name, v) {
		r.Warnf(f, RuleLossyEncoding, "%s %q has '?' where a character may have been lost: this file was saved in Windows-1252 (Excel's plain \"CSV\"), which cannot hold characters such as 李, ł or ọ and writes '?' instead. Save it again as \"CSV UTF-8\" and check the value.", fd.Name, v)
	}
	if v[0] == '#' {
		if meaning := ExcelError(v); meaning != "" {
			r.Errorf(f, RuleExcelError, "%s shows Excel's error %s, not a value: %s. Correct the formula or type the value in.", fd.Name, v, meaning)
			return
		}
	}
	if fd.MaxLen > 0 && len(v) > fd.MaxLen && utf8.RuneCountInString(v) > fd.MaxLen {
		r.Errorf(f, RuleMaxLength, "%s is %d characters long; the most allowed is %d.", fd.Name, utf8.RuneCountInString(v), fd.MaxLen)
	}
	if fd.Digits > 0 || fd.Type == ULN {
		if check.Scientific(v) {
			r.Errorf(f, RuleExcelMangled, "%s %q is in scientific notation: a spreadsheet has rounded the number and the real digits are lost. Format the column as Text in the source and export again.", fd.Name, v)
			return
		}
		if fd.Digits > 0 && r.CellType(f) == CellNumber && len(v) < fd.Digits && isDigits(v) {
			r.Errorf(f, RuleExcelMangled, "%s %q has %d digits where %d are expected: the spreadsheet stored it as a number and dropped its leading zeros. Format the column as Text and re-enter it.", fd.Name, v, len(v), fd.Digits)
			return
		}
	}
	switch fd.Type {
	case Integer:
		n, ok := check.Integer(v)
		if !ok {
			r.Errorf(f, RuleInteger, "%s must be a whole number; %q is not%s", fd.Name, v, notANumber(v, 0))
		} else if fd.Max > fd.Min && (n < fd.Min || n > fd.Max) {
			r.Errorf(f, RuleInteger, "%s must be between %d and %d; %d is not.", fd.Name, fd.Min, fd.Max, n)
		}
	case Decimal:
		ok, tooPrecise := check.Decimal(v, fd.Places)
		if !ok {
			if n, changed := displayedNumber(v); changed {
				if ok, tooPrecise = check.Decimal(n, fd.Places); ok {
					// £350.55 or 1,200.00 as a spreadsheet shows a number: the number is clear.
					r.Warnf(f, RuleDecimal, "%s %q is read as %s: its currency sign and thousands separators are removed.", fd.Name, v, n)
					r.Rec.Cells[r.Map.Col[f]] = n
					v = n
				}
			}
		}
		if !ok {
			r.Errorf(f, RuleDecimal, "%s must be a number; %q is not%s", fd.Name, v, notANumber(v, fd.Places))
		} else if tooPrecise {
			r.Errorf(f, RuleDecimal, "%s may have at most %d decimal places; %q has more.", fd.Name, fd.Places, v)
		}
	case Date:
		if _, err := r.date(f); err != nil {
			r.Errorf(f, RuleDate, "%s %q %v.", fd.Name, v, err)
		}
	case Email:
		if msg := check.Email(v); msg != "" {
			r.Errorf(f, RuleEmail, "%s %q %s.", fd.Name, v, msg)
		}
	case ULN:
		if msg := check.ULN(v); msg != "" {
			if n := plainULN(v); n != v && check.ULN(n) == "" {
				// Spaces typed for reading, or the ".0" of a float export (pandas): the digits
				// are a good ULN, so it is sent as them, and the officer is told.
				r.Warnf(f, RuleULN, "ULN %q is sent as %s: its spaces and any trailing .0 (left by a number export) are removed.", v, n)
				r.Rec.Cells[r.Map.Col[f]] = n
				return
			}
			r.Errorf(f, RuleULN, "ULN %q %s.", v, msg)
		}
	case NINO:
		if msg := check.NINO(v); msg != "" {
			r.Errorf(f, RuleNINO, "National Insurance number %q %s.", v, msg)
		}
	case Enum:
		if CanonicalEnum(fd, v) == "" {
			r.Errorf(f, RuleEnum, "%s %q is not one of: %s.", fd.Name, v, strings.Join(fd.Enum, ", "))
		} else if fd.Spellings != nil {
			if c := fd.Spellings[strings.ToLower(v)]; c != "" {
				r.Warnf(f, RuleEnum, "%s %q is sent as %s.", fd.Name, v, c)
			}
		}
	case Bool:
		if _, ok := check.Bool(v); !ok {
			r.Errorf(f, RuleBool, "%s must be true or false; %q is neither.", fd.Name, v)
		}
	}
}

// EncodingWindows1252 is a Source's Encoding when the file was decoded as Windows-1252.
const EncodingWindows1252 = "Windows-1252"

// lostToQuestionMarks reports whether v, of field name, looks like text in which Windows-1252
// replaced characters it cannot hold with '?': any '?' in a name, else "??", a '?' before a letter
// or digit ("?ukasz", "Nguy?n"), or nothing but '?' ("Any questions?" is not).
func lostToQuestionMarks(name, v string) bool {
	if strings.Contains(strings.ToLower(name), "name") || strings.Contains(v, "??") || strings.Trim(v, "? ") == "" {
		return true
	}
	for i := 0; i+1 < len(v); i++ {
		if v[i] == '?' {
			if c := v[i+1]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf {
				return true
			}
		}
	}
	return false
}

// displayedNumber is v without what a spreadsheet's number format adds for show: a currency
// sign before or after (£ $ €) and commas between groups of three digits. changed is false when
// v has none of them or its commas are not thousands separators (1,5 is a European decimal).
func displayedNumber(v string) (string, bool) {
	n := strings.TrimSpace(v)
	for _, sign := range []string{"£", "$", "€"} {
		if strings.HasPrefix(n, sign) {
			n = strings.TrimSpace(n[len(sign):])
		} else if strings.HasSuffix(n, sign) {
			n = strings.TrimSpace(n[:len(n)-len(sign)])
		}
	}
	if strings.IndexByte(n, ',') >= 0 {
		whole, frac, _ := strings.Cut(n, ".")
		groups := strings.Split(strings.TrimPrefix(whole, "-"), ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 || strings.IndexByte(frac, ',') >= 0 {
			return v, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return v, false
			}
		}
		n = strings.ReplaceAll(n, ",", "")
	}
	return n, n != strings.TrimSpace(v)
}

// numberHint says what to type instead of v, a number bulk could not read (nor clean with
// displayedNumber), in as many words as its fault needs; places is how many decimals the field
// takes (0: a whole number). It runs only for cells that are rejected.
func numberHint(v string, places int) string {
	n := strings.TrimSpace(v)
	sign := ""
	for _, c := range []string{"£", "$", "€"} {
		if strings.HasPrefix(n, c) || strings.HasSuffix(n, c) {
			sign = c
			n = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(n, c), c))
		}
	}
	example := "1234.5"
	if places == 0 {
		example = "1234"
	}
	digitsOnly := func(s string) bool {
		return s != "" && strings.Trim(s, "0123456789") == ""
	}
	whole, frac, hasPoint := strings.Cut(n, ".")
	switch {
	case n == "" && sign != "":
		return fmt.Sprintf("it is a currency sign (%s) with no amount. Type the amount in digits, with no currency sign.", sign)
	case strings.HasSuffix(n, "%"):
		return fmt.Sprintf("type the number without the %% sign (%s, not %s).", strings.TrimSpace(strings.TrimSuffix(n, "%")), v)
	case strings.HasPrefix(n, "(") && strings.HasSuffix(n, ")"):
		return fmt.Sprintf("an accounting format shows a negative number in brackets; type it with a minus sign (-%s) and no brackets.", strings.Trim(n, "() "))
	case places == 0 && hasPoint && digitsOnly(strings.TrimLeft(whole, "-")) && digitsOnly(frac):
		return "" // "must be a whole number; "10.5" is not." says it all
	case !hasPoint && strings.Count(n, ",") == 1 && digitsOnly(strings.ReplaceAll(strings.TrimLeft(n, "-"), ",", "")):
		if places == 0 {
			return fmt.Sprintf("a comma is no part of a whole number: type the digits only (%s, or %s if the comma marks decimals, which this column does not take).",
				strings.ReplaceAll(n, ",", ""), strings.Split(n, ",")[0])
		}
		return fmt.Sprintf("a comma is read neither as a decimal mark nor as a thousands separator here; type the number with a point for the decimals and no commas (%s if the comma marks the decimals, %s if it separates thousands).",
			strings.Replace(n, ",", ".", 1), strings.ReplaceAll(n, ",", ""))
	case strings.Contains(n, ",") && digitsOnly(strings.ReplaceAll(strings.ReplaceAll(strings.TrimLeft(n, "-"), ",", ""), ".", "")):
		return fmt.Sprintf("its commas are not between groups of three digits, so they are not thousands separators and bulk will not guess what they mean. Type the number with digits and at most one point, no commas (for example %s).", example)
	case strings.Count(n, ".") > 1:
		return fmt.Sprintf("it has more than one point. Type the number with digits and at most one point for the decimals (for example %s).", example)
	case strings.ContainsAny(n, " \u00a0") && digitsOnly(strings.NewReplacer(" ", "", "\u00a0", "", ".", "", "-", "").Replace(n)):
		return fmt.Sprintf("type it without spaces (%s).", strings.NewReplacer(" ", "", "\u00a0", "").Replace(n))
	case sign != "":
		return fmt.Sprintf("after the currency sign (%s) comes %q, which is not a number. Type the amount in digits only (for example %s).", sign, n, example)
	}
	if strings.IndexAny(n, "0123456789") < 0 {
		return "" // a word ("ten") or a note: the message says enough
	}
	if places == 0 {
		return fmt.Sprintf("type digits only, with a minus sign first for a negative number (for example %s).", example)
	}
	return fmt.Sprintf("type digits with a point for the decimals and nothing else: no letters, units or currency signs (for example %s).", example)
}

// notANumber is the end of the message for a number that cannot be read: "." or ": what to do".
func notANumber(v string, places int) string {
	if h := numberHint(v, places); h != "" {
		return ": " + h
	}
	return "."
}

// plainULN is v without spaces and without a trailing ".0".
func plainULN(v string) string {
	v = strings.TrimSuffix(strings.ReplaceAll(v, " ", ""), ".0")
	return v
}

// excelErrors are the errors a spreadsheet shows in a cell instead of a value, with what each
// means to the person who made the sheet.
var excelErrors = map[string]string{
	"#N/A":    "a lookup (VLOOKUP, XLOOKUP, MATCH) found nothing for this row",
	"#REF!":   "the formula refers to cells that were deleted or moved",
	"#DIV/0!": "the formula divides by zero or by an empty cell",
	"#VALUE!": "the formula was given text where it needs a number, or a value of the wrong kind",
	"#NAME?":  "the formula names a function or range the spreadsheet does not know (often a typing mistake)",
	"#NUM!":   "the formula's result is not a number the spreadsheet can hold",
	"#NULL!":  "the formula's ranges do not meet (a space where a comma or colon was meant)",
}

// ExcelError says what an Excel error value (#N/A, #REF!, ...) means, or "" when v is none. CSV
// exports keep the text, and XLSX cells of type e hold it.
func ExcelError(v string) string {
	return excelErrors[strings.ToUpper(strings.TrimSpace(v))]
}

// totalsRow reports whether cells are a totals line: "Total..." in the first cell with a value
// and nothing after it.
func totalsRow(cells []string) bool {
	first := -1
	for i, c := range cells {
		if strings.TrimSpace(c) == "" {
			continue
		}
		if first >= 0 {
			return false
		}
		first = i
	}
	if first < 0 {
		return false
	}
	v := strings.TrimSpace(cells[first])
	return len(v) >= 5 && strings.EqualFold(v[:5], "total")
}

func firstValue(cells []string) string {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return c
		}
	}
	return ""
}

// CanonicalEnum returns the canonical spelling of v among fd.Enum (ignoring case) or from
// fd.Spellings, or "".
func CanonicalEnum(fd *Field, v string) string {
	for _, e := range fd.Enum {
		if strings.EqualFold(e, v) {
			return e
		}
	}
	if fd.Spellings != nil {
		return fd.Spellings[strings.ToLower(v)]
	}
	return ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
