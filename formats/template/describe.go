// Package template writes blank workbooks (and header-only CSVs) for bulk's kinds, built only from
// the kinds' own field metadata (pipeline.Kinds), so every kind registered gets a template and a
// template never disagrees with the rules that will check it.
//
// A data officer who starts from a template cannot type most of the mistakes bulk would reject:
// drop-downs offer only allowed values, numbers and dates are range-checked as they are typed,
// identifiers are stored as text so Excel cannot round them or drop their leading zeros, and every
// header carries a note saying what goes in it.
package template

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// Order returns the indexes of k's fields in template order: the required fields first, then the
// optional ones, each group in the kind's own order (which follows the vendor's documentation).
// The required ones lead so a data officer fills the essentials before anything else.
func Order(k *pipeline.Kind) []int {
	out := make([]int, 0, len(k.Fields))
	for pass := 0; pass < 2; pass++ {
		for i := range k.Fields {
			if k.Fields[i].Required == (pass == 0) {
				out = append(out, i)
			}
		}
	}
	return out
}

// Headers returns the canonical headers of k in template order.
func Headers(k *pipeline.Kind) []string {
	var hs []string
	for _, i := range Order(k) {
		hs = append(hs, k.Fields[i].Name)
	}
	return hs
}

// HasTime reports whether a date field takes a time of day too. The field metadata has no flag for
// it; the kind's example says it (an example with a time means the target stores times), which
// keeps the kinds free of template-only settings.
func HasTime(f *pipeline.Field) bool {
	if f.Type != pipeline.Date || f.Example == "" {
		return false
	}
	d, err := check.ParseDate(f.Example, check.DayFirst, time.Now())
	return err == nil && d.HasTime
}

// Values returns the values a template offers in a drop-down for f, and whether they are the
// only values bulk accepts (an Enum) or suggestions: Choices ("1 Learner", where bulk reads "1"
// and "Learner" too) and booleans (yes, no, 1 and 0 work as well as true and false). AllowNone's
// literal is offered as the last value.
func Values(f *pipeline.Field) (vals []string, only bool) {
	switch {
	case len(f.Choices) > 0:
		vals = append(vals, f.Choices...)
	case f.Type == pipeline.Enum:
		vals, only = append(vals, f.Enum...), true
	case f.Type == pipeline.Bool:
		vals = []string{"true", "false"}
	default:
		return nil, false
	}
	if f.AllowNone != "" && slices.ContainsFunc(vals, func(v string) bool { return strings.EqualFold(v, f.AllowNone) }) {
		return vals, only // the kind lists it already
	}
	if f.AllowNone != "" {
		vals = append(vals, f.AllowNone)
	}
	return vals, only
}

// shortList is how many characters of values a one-line summary shows before it says "N values".
const shortList = 40

// Limits says in a few words what values f accepts beyond its type: for table cells in
// `bulk kinds` and the template's Read me sheet. It is empty when the type says it all.
func Limits(f *pipeline.Field) string {
	var parts []string
	if vals, _ := Values(f); len(vals) > 0 && f.Type != pipeline.Bool {
		if s := strings.Join(vals, ", "); len(s) <= shortList {
			parts = append(parts, s)
		} else {
			parts = append(parts, fmt.Sprintf("one of %d values", len(vals)))
		}
	}
	switch f.Type {
	case pipeline.Integer:
		if f.Max > f.Min {
			parts = append(parts, fmt.Sprintf("%d to %d", f.Min, f.Max))
		}
	case pipeline.Decimal:
		parts = append(parts, fmt.Sprintf("%d decimal%s", f.Places, plural(f.Places)))
	case pipeline.ULN:
		parts = append(parts, "10 digits, check digit")
	case pipeline.Date:
		if HasTime(f) {
			parts = append(parts, "time optional")
		}
	}
	if f.MaxLen > 0 {
		parts = append(parts, fmt.Sprintf("max %d chars", f.MaxLen))
	}
	if f.Digits > 0 && f.Type != pipeline.ULN {
		parts = append(parts, fmt.Sprintf("%d digits", f.Digits))
	}
	if f.AllowNone != "" && len(f.Choices) == 0 && f.Type != pipeline.Enum {
		parts = append(parts, f.AllowNone+" clears")
	}
	if f.Unique {
		parts = append(parts, "unique")
	}
	return strings.Join(parts, "; ")
}

// Describe says in one or two plain sentences how to write f's value: the template's header notes
// and input prompts, and the Format column of its Read me sheet.
func Describe(f *pipeline.Field) string {
	var s string
	switch f.Type {
	case pipeline.Integer:
		s = "A whole number"
		if f.Max > f.Min {
			s += fmt.Sprintf(" from %d to %d", f.Min, f.Max)
		}
	case pipeline.Decimal:
		s = fmt.Sprintf("A number with at most %d decimal place%s", f.Places, plural(f.Places))
	case pipeline.Date:
		s = "A date, e.g. 14/03/2007 (yyyy-mm-dd and 14-Mar-2007 work too)"
		if HasTime(f) {
			s = "A date, with a time if needed, e.g. 05/09/2026 09:00 (yyyy-mm-dd hh:mm works too)"
		}
	case pipeline.Email:
		s = "An e-mail address"
	case pipeline.ULN:
		s = "The Unique Learner Number: 10 digits, the last a check digit"
	case pipeline.NINO:
		s = "A National Insurance number, e.g. AB123456C"
	case pipeline.Bool:
		s = "true or false (yes/no and 1/0 work too)"
	case pipeline.Enum:
		s = "One of the values in the drop-down"
		if vals, _ := Values(f); len(strings.Join(vals, ", ")) <= shortList {
			s = "One of: " + strings.Join(f.Enum, ", ")
		}
	default:
		s = "Text"
		if vals, _ := Values(f); len(vals) > 0 {
			s = "Text; the drop-down offers the usual values"
		}
	}
	if f.MaxLen > 0 {
		s += fmt.Sprintf(", at most %d characters", f.MaxLen)
	}
	s += "."
	if f.AllowNone != "" {
		s += fmt.Sprintf(" %s clears the value in the target; an empty cell leaves it unchanged.", f.AllowNone)
	}
	if f.Unique {
		s += " Must not repeat on another row."
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
