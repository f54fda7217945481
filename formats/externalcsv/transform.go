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
	// Blank is how the 1-character field says "not specified" (pfvalue.SendCourseType).
	rec.CourseType = pfvalue.SendCourseType(enum(fCourseType, CourseType))
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

// Options tune a Writer (see payloadcsv.SinkOptions).
type Options = payloadcsv.SinkOptions

// Writer is the pipeline sink that writes valid rows as an externalTrainingCsv payload.
type Writer = payloadcsv.Sink[Record]

// NewWriter writes the payload header to w with the columns of the fields present (by field
// index, as pipeline.Mapping.Col shows them) and the required ones, and returns the sink for
// the rows. Close it at the end, also when the run failed.
func NewWriter(w io.Writer, present func(field int) bool, o Options) (*Writer, error) {
	return payloadcsv.NewSink(w, Kind, present, Transform, o)
}
