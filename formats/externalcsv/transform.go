package externalcsv

import (
	"io"
	"strings"

	"github.com/bulkload/bulk/formats/internal/payloadcsv"
	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

// writeDate writes a date as the vendor's table asks: yyyy-MM-dd, or yyyy-MM-dd HH:mm:ss when
// the input gave a time of day.
func writeDate(m pfvalue.Moment) string {
	if m.HasTime {
		return m.YMDHMS()
	}
	return m.YMD()
}

// Transform fills rec with row r in the payload's canonical form. r must have passed the kind's
// checks; a value that still does not convert is reported on the row and false returned.
func Transform(r *pipeline.Row, rec *Record) bool {
	ok := true
	fail := func(f int, rule, msg string) {
		r.Errorf(f, rule, "%s %q %s.", Kind.Fields[f].Name, r.Value(f), msg)
		ok = false
	}
	enum := func(f int, e *pfvalue.Enum) string {
		v := r.Value(f)
		if v == "" {
			return ""
		}
		c, found := e.Canonical(v)
		if !found {
			fail(f, pipeline.RuleEnum, "is not one of: "+e.List())
		}
		return c
	}
	date := func(f int) string {
		if r.Value(f) == "" {
			return ""
		}
		m, err := pfvalue.Date(r, f)
		if err != nil {
			fail(f, pipeline.RuleDate, err.Error())
			return ""
		}
		return writeDate(m)
	}
	rec.Action = enum(fAction, Action)
	rec.RecordID = r.Value(fRecordID)
	rec.UserID = pfvalue.NormalizeID(r.Value(fUserID))
	rec.Title = r.Value(fTitle)
	if rec.CourseType = enum(fCourseType, CourseType); rec.CourseType == "TNS" {
		rec.CourseType = "" // see CourseType: blank is how the 1-character field says "not specified"
	}
	rec.StartDate = date(fStartDate)
	rec.EndDate = date(fEndDate)
	rec.Status = enum(fStatus, Status)
	rec.Subject = r.Value(fSubject)
	rec.Grade = r.Value(fGrade)
	rec.Score = r.Value(fScore)
	rec.Duration = amount(r.Value(fDuration))
	rec.Unit = enum(fUnit, Unit)
	rec.Cost = amount(r.Value(fCost))
	if v := r.Value(fCurrency); v != "" {
		c, msg := pfvalue.Currency(v)
		if msg != "" {
			fail(fCurrency, pfvalue.RuleCurrency, msg)
		}
		rec.Currency = c
	}
	if v := r.Value(fLanguage); v != "" {
		c, msg := pfvalue.Language(v)
		if msg != "" {
			fail(fLanguage, pfvalue.RuleLanguage, msg)
		}
		rec.Language = c
	}
	rec.VendorInfo1 = r.Value(fVendor)
	rec.Comments = r.Value(fComments)
	return ok
}

// amount writes a checked decimal without a leading + or a spreadsheet's trailing ".0".
func amount(v string) string {
	v = strings.TrimPrefix(v, "+")
	return strings.TrimSuffix(v, ".0")
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

// Writer is the pipeline sink that writes valid rows as an externalTrainingCsv payload.
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
