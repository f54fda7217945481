package trainingcsv

import (
	"io"
	"strconv"
	"strings"

	"github.com/bulkload/bulk/formats/internal/payloadcsv"
	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// Dates are written dd-mm-yyyy HH:MM (pfvalue.Moment.DMYHMNumeric), one of the four forms the
// vendor's table accepts (dd-mm-yy, dd-mm-yyyy, dd-mmm-yy, dd-mmm-yyyy). The month-name form
// (05-Sep-2026 09:00) reads unambiguously to a person, but the LMS parses it with Java in its own
// locale, and a UK-locale parser wants "Sept": the all-numeric form has no locale in it. A
// Record's MonthNames option writes dd-Mmm-yyyy for an LMS known to want names. USE SETTINGS AS
// OF DATE takes a date only (dd-mm-yyyy); DEADLINEDATE alone is documented as yyyy-MM-dd
// [HH:mm:ss].
// guess G36 (docs/guesses.md).
func deadline(m pfvalue.Moment) string {
	if m.HasTime {
		return m.YMDHMS()
	}
	return m.YMD()
}

// Transform fills rec with row r in the payload's canonical form, dates all-numeric. r must have
// passed the kind's checks; a value that still does not convert is reported on the row and false
// returned.
func Transform(r *pipeline.Row, rec *Record) bool { return transform(r, rec, false) }

// TransformMonthNames is Transform writing dates with month names (05-Sep-2026 09:00).
func TransformMonthNames(r *pipeline.Row, rec *Record) bool { return transform(r, rec, true) }

func transform(r *pipeline.Row, rec *Record, monthNames bool) bool {
	dateTime, dateOnly := pfvalue.Moment.DMYHMNumeric, pfvalue.Moment.DMYNumeric
	if monthNames {
		dateTime, dateOnly = pfvalue.Moment.DMYHM, pfvalue.Moment.DMY
	}
	ok := true
	date := func(f int, format func(pfvalue.Moment) string) string {
		v := r.Value(f)
		if v == "" {
			return ""
		}
		if fd := &Kind.Fields[f]; fd.AllowNone != "" && strings.EqualFold(v, fd.AllowNone) {
			return fd.AllowNone
		}
		d, err := pfvalue.Date(r, f)
		if err != nil {
			r.Errorf(f, pipeline.RuleDate, "%s %q %v.", Kind.Fields[f].Name, v, err)
			ok = false
			return ""
		}
		return format(d)
	}
	enum := func(f int, e *pfvalue.Enum) string {
		v := r.Value(f)
		if v == "" {
			return ""
		}
		if fd := &Kind.Fields[f]; fd.AllowNone != "" && strings.EqualFold(v, fd.AllowNone) {
			return fd.AllowNone
		}
		c, found := e.Canonical(v)
		if !found {
			r.Errorf(f, pipeline.RuleEnum, "%s %q is not one of: %s.", Kind.Fields[f].Name, v, e.Describe(&Kind.Fields[f]))
			ok = false
		}
		return c
	}
	rec.UserID = pfvalue.NormalizeID(r.Value(fUserID))
	rec.LearningID = r.Value(fLearningID)
	rec.LOTitle = r.Value(fLOTitle)
	rec.EnrollDate = date(fEnrollDate, dateTime)
	rec.StartDate = date(fStartDate, dateTime)
	rec.EndDate = date(fEndDate, dateTime)
	rec.StudentStatus = enum(fStudentStatus, StudentStatus)
	if v := r.Value(fCreateSession); v != "" {
		b, _ := check.Bool(v)
		rec.CreateSession = strconv.FormatBool(b)
	}
	rec.TrainingVenue = r.Value(fVenue)
	if v := r.Value(fInstructor); v != "" {
		list, msg := pfvalue.UserIDs(v)
		if msg != "" {
			r.Errorf(fInstructor, pfvalue.RuleUserIDList, "Instructor %q %s.", v, msg)
			ok = false
		}
		rec.Instructor = list
	}
	rec.SessionStatus = enum(fSessionStatus, SessionStatus)
	rec.SessionCode = r.Value(fSessionCode)
	rec.SessionTitle = r.Value(fSessionTitle)
	rec.Score = r.Value(fScore)
	if ok, _ := check.Decimal(rec.Score, scorePlaces); ok {
		rec.Score = number(rec.Score) // a number loses a spreadsheet's + and .0; text is sent as written
	}
	rec.LOType = enum(fLOType, LOType)
	rec.Action = enum(fAction, Action)
	rec.PreScore = number(r.Value(fPreScore))
	rec.PostScore = number(r.Value(fPostScore))
	rec.Language = r.Value(fLanguage)
	if pfvalue.LooksLikeLanguageCode(rec.Language) {
		if c, msg := pfvalue.Language(rec.Language); msg == "" {
			rec.Language = c // en-gb → en_GB; a name such as "English" is sent as written
		}
	}
	rec.UseSettingsAsOfDate = date(fSettingsDate, dateOnly)
	if v := r.Value(fTimeZone); v != "" {
		rec.SessionTimeZone, _ = pfvalue.TimeZone(v)
	}
	if v := r.Value(fDeadlineDays); v != "" {
		n, _ := check.Integer(v)
		rec.DeadlineDays = strconv.FormatInt(n, 10)
	}
	rec.DeadlineDate = date(fDeadlineDate, deadline)
	rec.ParentProgramID = r.Value(fParentProgram)
	rec.TransferSessionCode = r.Value(fTransfer)
	rec.PerformanceGrade = enum(fGrade, PerformanceGrade)
	return ok
}

// number writes a checked number without the decorations a spreadsheet or a person adds: a
// leading + and a trailing ".0".
func number(v string) string {
	v = strings.TrimPrefix(v, "+")
	if strings.HasSuffix(v, ".0") {
		v = strings.TrimSuffix(v, ".0")
	}
	return v
}

// Options tune a Writer. Gocsv and Sequential are payloadcsv.SinkOptions' (same bytes, kept to
// measure).
type Options struct {
	Gocsv, Sequential bool
	// MonthNames writes dates dd-Mmm-yyyy (05-Sep-2026 09:00) instead of dd-mm-yyyy, for an LMS
	// whose date parser wants month names.
	MonthNames bool
}

// Writer is the pipeline sink that writes valid rows as a trainingHistoryCsv payload.
type Writer = payloadcsv.Sink[Record]

// NewWriter writes the payload header to w with the columns of the fields present (by field
// index, as pipeline.Mapping.Col shows them) and the required ones, and returns the sink for
// the rows. Close it at the end, also when the run failed.
func NewWriter(w io.Writer, present func(field int) bool, o Options) (*Writer, error) {
	t := Transform
	if o.MonthNames {
		t = TransformMonthNames
	}
	return payloadcsv.NewSink(w, Kind, present, t, payloadcsv.SinkOptions{Gocsv: o.Gocsv, Sequential: o.Sequential})
}
