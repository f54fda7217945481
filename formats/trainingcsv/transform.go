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

// Dates are written dd-Mmm-yyyy HH:MM (pfvalue.Moment.DMYHM): the vendor's table accepts
// dd-mm-yy, dd-mm-yyyy, dd-mmm-yy and dd-mmm-yyyy, and the month name is the one form no reader
// can take for month-first. USE SETTINGS AS OF DATE takes a date only (DMY); DEADLINEDATE alone
// is documented as yyyy-MM-dd [HH:mm:ss].
func deadline(m pfvalue.Moment) string {
	if m.HasTime {
		return m.YMDHMS()
	}
	return m.YMD()
}

// Transform fills rec with row r in the payload's canonical form. r must have passed the kind's
// checks; a value that still does not convert is reported on the row and false returned.
func Transform(r *pipeline.Row, rec *Record) bool {
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
	rec.EnrollDate = date(fEnrollDate, pfvalue.Moment.DMYHM)
	rec.StartDate = date(fStartDate, pfvalue.Moment.DMYHM)
	rec.EndDate = date(fEndDate, pfvalue.Moment.DMYHM)
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
	rec.Score = number(r.Value(fScore))
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
	rec.UseSettingsAsOfDate = date(fSettingsDate, pfvalue.Moment.DMY)
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

// Options tune a Writer (see payloadcsv.SinkOptions).
type Options = payloadcsv.SinkOptions

// Writer is the pipeline sink that writes valid rows as a trainingHistoryCsv payload.
type Writer = payloadcsv.Sink[Record]

// NewWriter writes the payload header to w with the columns of the fields present (by field
// index, as pipeline.Mapping.Col shows them) and the required ones, and returns the sink for
// the rows. Close it at the end, also when the run failed.
func NewWriter(w io.Writer, present func(field int) bool, o Options) (*Writer, error) {
	return payloadcsv.NewSink(w, Kind, present, Transform, o)
}
