package externalcsv

import (
	"strings"

	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

// changeFields are what an update can change: everything but the Action and the key.
var changeFields = []int{fUserID, fTitle, fCourseType, fStartDate, fEndDate, fStatus, fSubject, fGrade,
	fScore, fDuration, fUnit, fCost, fCurrency, fLanguage, fVendor, fComments}

// checkAction applies what the vendor's loader help says each Action needs: create (A) needs
// UserId and Title; update (U) needs RecordID and the fields to change; delete (D) needs
// RecordID. AU may create, so it needs what A needs, and it finds an existing record only by
// its RecordID.
func checkAction(r *pipeline.Row) {
	act, ok := Action.Canonical(r.Value(fAction))
	if !ok {
		return // the enum rule (or the required check) has said what is wrong
	}
	need := func(f int, why string) {
		if r.Value(f) == "" {
			r.Errorf(f, pipeline.RuleRequired, "%s is required %s.", Kind.Fields[f].Name, why)
		}
	}
	const forAU = "with Action AU, which adds the record when it does not exist"
	switch act {
	case "A":
		need(fUserID, "to add a record (Action A): give the learner's user ID")
		need(fTitle, "to add a record (Action A): give the training's title")
	case "AU":
		need(fUserID, forAU)
		need(fTitle, forAU)
		if r.Value(fRecordID) == "" {
			r.Warnf(fRecordID, pfvalue.RuleIgnoredValue, "Action AU without a RecordID always adds a new record: the LMS finds an existing one only by its RecordID. Use A, or give the RecordID to update.")
		}
	case "U":
		need(fRecordID, "to update a record (Action U): it says which record")
		if r.Value(fRecordID) != "" && !anyFilled(r, changeFields) {
			r.Errorf(fRecordID, RuleNothingToChange, "Action U for record %s gives nothing to change: fill the fields to update (blank cells are left as they are).", r.Value(fRecordID))
		}
	case "D":
		need(fRecordID, "to delete a record (Action D): it says which record")
		var extra []string
		for _, f := range changeFields {
			if r.Value(f) != "" {
				extra = append(extra, r.Column(f))
			}
		}
		if len(extra) > 0 && r.Value(fRecordID) != "" {
			r.Warnf(fAction, pfvalue.RuleIgnoredValue, "Action D deletes record %s; the other values on the row (%s) are ignored. Check this row is meant to delete.", r.Value(fRecordID), strings.Join(extra, ", "))
		}
	}
}

func anyFilled(r *pipeline.Row, fs []int) bool {
	for _, f := range fs {
		if r.Value(f) != "" {
			return true
		}
	}
	return false
}

func checkCourseType(r *pipeline.Row) {
	if c, ok := CourseType.Canonical(r.Value(fCourseType)); ok && c == "TNS" {
		r.Warnf(fCourseType, RuleCourseTypeTNS, "CourseType %q means not specified; the field holds one character, so it is sent blank and the LMS records not specified (on an update, blank leaves the type unchanged).", r.Value(fCourseType))
	}
}

func checkDates(r *pipeline.Row) {
	if r.Value(fStartDate) == "" || r.Value(fEndDate) == "" || r.FieldHasError(fStartDate) || r.FieldHasError(fEndDate) {
		return
	}
	s, err1 := pfvalue.CheckedDate(r, fStartDate)
	e, err2 := pfvalue.CheckedDate(r, fEndDate)
	if err1 == nil && err2 == nil && s.Compare(e) > 0 {
		r.Errorf(fEndDate, pfvalue.RuleDateRange, "EndDate %s is before StartDate %s; check the two dates (day and month may be swapped).", writeDate(e), writeDate(s))
	}
}

// checkAmounts: durations and costs are not negative, and each has its partner.
func checkAmounts(r *pipeline.Row) {
	for _, f := range []int{fDuration, fCost} {
		if v := r.Value(f); strings.HasPrefix(v, "-") && !r.FieldHasError(f) {
			r.Errorf(f, pfvalue.RuleNegative, "%s %s is negative; give the amount without a minus sign.", Kind.Fields[f].Name, v)
		}
	}
	if r.Value(fDuration) != "" && r.Value(fUnit) == "" {
		r.Warnf(fUnit, pfvalue.RulePairedValue, "Duration %s has no Unit: the LMS cannot tell minutes from days. Add a Unit (I, H, D, W, M or Y).", r.Value(fDuration))
	}
	if r.Value(fCost) != "" && r.Value(fCurrency) == "" {
		r.Warnf(fCurrency, pfvalue.RulePairedValue, "Cost %s has no Currency; add the three-letter code (GBP, EUR, USD...).", r.Value(fCost))
	}
}

func checkCodes(r *pipeline.Row) {
	if v := r.Value(fCurrency); v != "" {
		if _, msg := pfvalue.Currency(v); msg != "" {
			r.Errorf(fCurrency, pfvalue.RuleCurrency, "Currency %q %s.", v, msg)
		}
	}
	if v := r.Value(fLanguage); v != "" {
		if _, msg := pfvalue.Language(v); msg != "" {
			r.Errorf(fLanguage, pfvalue.RuleLanguage, "Language %q %s.", v, msg)
		}
	}
}
