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

// Options tune a Writer.
type Options struct {
	// Gocsv writes rows through gocsv in batches rather than the direct encoder; both write the
	// same bytes. It is there to measure one against the other (bench/peoplefluent).
	Gocsv bool
	// Sequential transforms each row inside Accept, on the pipeline's in-order goroutine,
	// instead of in worker goroutines (payloadcsv.Stream). Same bytes; kept to measure.
	Sequential bool
}

// Writer is the pipeline sink that writes valid rows as a trainingHistoryCsv payload.
type Writer struct {
	w      *payloadcsv.Writer[Record]
	stream *payloadcsv.Stream[Record]
}

// NewWriter writes the payload header to w with the columns of the fields present (by field
// index, as pipeline.Mapping.Col shows them) and the required ones, and returns the sink for
// the rows. Close it at the end, also when the run failed.
func NewWriter(w io.Writer, present func(field int) bool, o Options) (*Writer, error) {
	names := map[string]bool{}
	for f := range Kind.Fields {
		if present == nil || present(f) || Kind.Fields[f].Required {
			names[Kind.Fields[f].Name] = true
		}
	}
	pw, err := payloadcsv.NewWriter[Record](w, func(h string) bool { return names[h] }, payloadcsv.Options{Gocsv: o.Gocsv})
	if err != nil {
		return nil, err
	}
	out := &Writer{w: pw}
	if !o.Sequential {
		out.stream = payloadcsv.NewStream(pw, Transform, 0)
	}
	return out, nil
}

// Accept implements pipeline.Sink. The row is copied or transformed at once: the pipeline
// reuses it.
func (w *Writer) Accept(r *pipeline.Row) error {
	if w.stream != nil {
		return w.stream.Accept(r)
	}
	rec := w.w.Next()
	if !Transform(r, rec) {
		return nil // reported on the row, which the pipeline then counts as rejected
	}
	return w.w.Commit()
}

// Close writes what is pending and flushes.
func (w *Writer) Close() error {
	if w.stream != nil {
		return w.stream.Close()
	}
	return w.w.Close()
}

// Rows returns how many rows the payload holds (final after Close).
func (w *Writer) Rows() int64 { return w.w.Rows() }

// Columns returns the payload's header.
func (w *Writer) Columns() []string { return w.w.Columns() }
