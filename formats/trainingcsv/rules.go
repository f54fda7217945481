package trainingcsv

import (
	"strings"

	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// checkIdentity: a row names its learning module (LEARNINGID or LOTITLE), and names its learner
// unless it only creates a session. The LMS treats a row with a blank USERID as "create a
// classroom and session"; a forgotten user ID would silently do that, so such a row must say
// CREATESESSION true and carry nothing that belongs to a learner's record.
func checkIdentity(r *pipeline.Row) {
	if r.Value(fLearningID) == "" && r.Value(fLOTitle) == "" {
		f := fLearningID
		if !r.Has(f) && r.Has(fLOTitle) {
			f = fLOTitle
		}
		r.Errorf(f, pipeline.RuleRequired, "The row names no learning module: give its LEARNINGID or its LOTITLE.")
	}
	if r.Value(fUserID) != "" {
		return
	}
	var filled []string
	for _, f := range learnerFields {
		if r.Value(f) != "" {
			filled = append(filled, r.Column(f))
		}
	}
	create, _ := check.Bool(r.Value(fCreateSession))
	switch {
	case len(filled) > 0:
		r.Errorf(fUserID, pipeline.RuleRequired, "USERID is empty, but the row has a learner's record (%s): give the learner's user ID. Only a row that just creates a session may leave USERID blank.", strings.Join(filled, ", "))
	case !create:
		r.Errorf(fUserID, pipeline.RuleRequired, "USERID is empty: give the learner's user ID. A row without one creates a classroom session and no training record; if that is what you want, set CREATESESSION to true.")
	}
}

// checkDates: the transcript's start is not after its end.
// A time on USE SETTINGS AS OF DATE, which takes a date only, is dropped with a warning.
func checkDates(r *pipeline.Row) {
	s, e := r.Value(fStartDate), r.Value(fEndDate)
	if s != "" && e != "" && !strings.EqualFold(s, "NONE") && !strings.EqualFold(e, "NONE") &&
		!r.FieldHasError(fStartDate) && !r.FieldHasError(fEndDate) {
		sd, err1 := pfvalue.CheckedDate(r, fStartDate)
		ed, err2 := pfvalue.CheckedDate(r, fEndDate)
		if err1 == nil && err2 == nil && sd.Compare(ed) > 0 {
			r.Errorf(fEndDate, pfvalue.RuleDateRange, "ENDDATE %s is before STARTDATE %s; check the two dates (day and month may be swapped).",
				ed.DMYHM(), sd.DMYHM())
		}
	}
	if d := r.Value(fSettingsDate); d != "" && !r.FieldHasError(fSettingsDate) {
		if sd, err := pfvalue.CheckedDate(r, fSettingsDate); err == nil && sd.HasClock() {
			r.Warnf(fSettingsDate, pfvalue.RuleIgnoredValue, "USE SETTINGS AS OF DATE takes a date only; the time %s is dropped.", sd.DMYHM()[12:])
		}
	}
}

func checkInstructors(r *pipeline.Row) {
	if v := r.Value(fInstructor); v != "" {
		if msg := pfvalue.CheckUserIDs(v); msg != "" {
			r.Errorf(fInstructor, pfvalue.RuleUserIDList, "Instructor %q %s.", v, msg)
		}
	}
}

func checkTimeZone(r *pipeline.Row) {
	if v := r.Value(fTimeZone); v != "" {
		if _, ok := pfvalue.TimeZone(v); !ok {
			r.Errorf(fTimeZone, pfvalue.RuleTimeZone, "SESSIONTIMEZONE %q is not a time zone ID: use a name such as Europe/London or America/New_York (capitals as shown), UTC, or an offset such as GMT+05:30.", v)
		}
	}
}

// checkOnlineScore warns about a SCORE on an online row (LOTYPE O): the table says "Online course
// data will not receive a score record", so the LMS drops it. The score is still sent (it does
// no harm, and the LMS may count the module's type differently from the file's LOTYPE).
func checkOnlineScore(r *pipeline.Row) {
	if r.Value(fScore) == "" {
		return
	}
	if lt, ok := LOType.Canonical(r.Value(fLOType)); ok && lt == "O" {
		r.Warnf(fScore, pfvalue.RuleIgnoredValue, "SCORE %q is on an online row (LOTYPE O): the LMS records scores for classroom courses only and drops it.", r.Value(fScore))
	}
}

// checkIgnored warns about values the vendor's table says have no effect with this ACTION.
func checkIgnored(r *pipeline.Row) {
	act, _ := Action.Canonical(r.Value(fAction))
	if act == "U" && r.Value(fParentProgram) != "" {
		r.Warnf(fParentProgram, pfvalue.RuleIgnoredValue, "Parent Program ID applies to new enrollments only; with ACTION U the LMS ignores it.")
	}
	if act == "A" && r.Value(fTransfer) != "" {
		r.Warnf(fTransfer, pfvalue.RuleIgnoredValue, "Transfer Session Code applies only when updating an enrollment; with ACTION A the LMS ignores it.")
	}
}
