package coursesxml

import (
	"fmt"
	"strings"

	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

func isSession(r *pipeline.Row) bool {
	for _, f := range sessionFields {
		if r.Value(f) != "" {
			return true
		}
	}
	return false
}

// sessionTimes returns a session's start and end as the payload writes them: a date without a
// time of day starts at midnight and, for the end, lasts to the end of the day (23:59:59), so a
// one-day session written as two equal dates is a day long, not an instant.
func sessionTimes(r *pipeline.Row) (start, end pfvalue.Moment, err error) {
	if start, err = pfvalue.CheckedDate(r, fStart); err != nil {
		return
	}
	if end, err = pfvalue.CheckedDate(r, fEnd); err != nil {
		return
	}
	if !end.HasTime {
		end.H, end.Mi, end.S = 23, 59, 59
	}
	return start, end, nil
}

// checkSession: a session has a start and an end, in that order, and instructors who are user IDs.
func checkSession(r *pipeline.Row) {
	if !isSession(r) {
		return
	}
	missing := false
	for _, f := range []int{fStart, fEnd} {
		if r.Value(f) == "" {
			missing = true
			r.Errorf(f, pipeline.RuleRequired, "%s is required on a session row: give the date and time the session %s.",
				Kind.Fields[f].Name, map[int]string{fStart: "starts", fEnd: "ends"}[f])
		}
	}
	if !missing && !r.FieldHasError(fStart) && !r.FieldHasError(fEnd) {
		if s, e, err := sessionTimes(r); err == nil && s.Compare(e) >= 0 {
			r.Errorf(fEnd, pfvalue.RuleDateRange, "The session ends (%s) before it starts (%s): SessionStart must be before SessionEnd.", e.XSD(), s.XSD())
		}
	}
	if v := r.Value(fInstructors); v != "" {
		if msg := pfvalue.CheckUserIDs(v); msg != "" {
			r.Errorf(fInstructors, pfvalue.RuleUserIDList, "Instructors %q %s.", v, msg)
		}
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
	if v := r.Value(fCost); strings.HasPrefix(v, "-") && !r.FieldHasError(fCost) {
		r.Errorf(fCost, pfvalue.RuleNegative, "Cost %s is negative; give the price without a minus sign.", v)
	}
	if r.Value(fCost) != "" && r.Value(fCurrency) == "" {
		r.Warnf(fCurrency, pfvalue.RulePairedValue, "Cost %s has no Currency; add the three-letter code (GBP, EUR, USD...).", r.Value(fCost))
	}
}

// cross checks what spans rows: one module described the same way wherever its columns repeat,
// a session code or ID used once per module, and every module described by some valid row.
type cross struct {
	modules map[string]*moduleSeen
	order   []*moduleSeen
	codes   map[string]string // module\x00kind\x00code → where first seen
}

type moduleSeen struct {
	id       string
	values   map[int]string     // module field → canonical value, from the first valid row giving it
	where    map[int]string     // module field → the row that gave it
	rows     []pipeline.Problem // the valid rows of the module, located, for late problems
	rejected string             // a row describing the module that was rejected, for the message
}

func newCross(*pipeline.RunState) pipeline.Cross {
	return &cross{modules: map[string]*moduleSeen{}, codes: map[string]string{}}
}

// canonicalModuleValue compares module columns as the payload would write them.
func canonicalModuleValue(r *pipeline.Row, f int) string {
	v := r.Value(f)
	switch f {
	case fType:
		if c, ok := ModuleType.Canonical(v); ok {
			return c
		}
	case fLanguage:
		if c, msg := pfvalue.Language(v); msg == "" {
			return c
		}
	case fCurrency:
		if c, msg := pfvalue.Currency(v); msg == "" {
			return c
		}
	}
	return v
}

func (c *cross) Check(r *pipeline.Row) {
	id := r.Value(fModuleID)
	if id == "" {
		return
	}
	key := strings.ToLower(id)
	m := c.modules[key]
	if m == nil {
		m = &moduleSeen{id: id, values: map[int]string{}, where: map[int]string{}}
		c.modules[key] = m
		c.order = append(c.order, m)
	}
	describes := false
	for _, f := range moduleFields {
		describes = describes || r.Value(f) != ""
	}
	if r.HasErrors() {
		if describes && m.rejected == "" {
			m.rejected = r.Where(nil)
		}
		return
	}
	for _, k := range []struct {
		f    int
		name string
	}{{fSessionCode, "SessionCode"}, {fSessionID, "SessionID"}} {
		v := r.Value(k.f)
		if v == "" {
			continue
		}
		ck := key + "\x00" + k.name + "\x00" + strings.ToLower(v)
		if prev, seen := c.codes[ck]; seen {
			r.Errorf(k.f, pipeline.RuleDuplicate, "%s %q of module %s already appears on %s; each session of a module needs its own, so this row is rejected.", k.name, v, m.id, prev)
			continue
		}
		c.codes[ck] = r.Where(nil)
	}
	for _, f := range moduleFields {
		if old, ok := m.values[f]; ok && r.Value(f) != "" && old != canonicalModuleValue(r, f) {
			r.Errorf(f, RuleModuleConflict, "%s differs between the rows of module %s: %s on %s, %s on this row. A module is described once: make the repeated columns agree, or leave them blank on this row.",
				Kind.Fields[f].Name, m.id, old, m.where[f], canonicalModuleValue(r, f))
		}
	}
	if r.HasErrors() {
		if describes && m.rejected == "" {
			m.rejected = r.Where(nil)
		}
		return
	}
	for _, f := range moduleFields {
		if _, ok := m.values[f]; !ok && r.Value(f) != "" {
			m.values[f] = canonicalModuleValue(r, f)
			m.where[f] = r.Where(nil)
		}
	}
	src := r.Rec.Src
	m.rows = append(m.rows, pipeline.Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: r.Rec.Row, Column: r.Column(fModuleID), Value: id})
}

// Finish rejects the rows of a module that no valid row gives a title and a type: courses.xml
// would name the module without what the LMS needs to create it, and the LMS (like bulk's
// sandbox) refuses a module without a title. Such rows are found only at the end, because a
// modules sheet may come after the sessions sheet.
func (c *cross) Finish(rep func(pipeline.Problem)) {
	for _, m := range c.order {
		_, hasTitle := m.values[fTitle]
		_, hasType := m.values[fType]
		if hasTitle && hasType || len(m.rows) == 0 {
			continue
		}
		var missing []string
		if !hasTitle {
			missing = append(missing, "ModuleTitle")
		}
		if !hasType {
			missing = append(missing, "ModuleType")
		}
		msg := fmt.Sprintf("Module %s has no %s on any valid row, so this row is rejected: give the module's %s on one of its rows (or on a modules sheet).",
			m.id, strings.Join(missing, " or "), strings.Join(missing, " and "))
		if m.rejected != "" {
			msg += fmt.Sprintf(" %s%s describes the module but was rejected; fix that row.", strings.ToUpper(m.rejected[:1]), m.rejected[1:])
		}
		for _, p := range m.rows {
			p.Rule = RuleModuleIncomplete
			p.Severity = pipeline.Error
			p.Message = msg
			rep(p)
		}
	}
}
