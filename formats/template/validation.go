package template

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
)

// Excel's own limits on a data validation; longer text makes Excel "repair" the workbook.
const (
	maxInlineList  = 255 // characters of a typed-in list, separators included
	maxPromptTitle = 32
	maxPrompt      = 255
	maxErrorTitle  = 32
	maxError       = 225
)

// Serial numbers bounding what a date column accepts: 1900-01-01 up to 2200-01-01 in Excel's 1900
// date system (the one templates use). Any real date of birth, start or end falls in between.
const (
	firstDateSerial = 1
	lastDateSerial  = 109575
)

// widest bounds a whole-number column whose field sets no range: wide enough for any ID, and
// within the 15 significant digits Excel stores exactly.
const widest = "999999999999999"

// rule is the one data validation of a column (Excel allows one per cell). It is built from the
// field alone, before any workbook exists, so tests can check it against bulk's own rules.
type rule struct {
	dv *excelize.DataValidation
	// list holds drop-down values too long or awkward for an inline list; the writer puts them
	// on the Lists sheet and points the validation at them through a defined name.
	list []string
}

// validation returns the data validation for f in column col (its data area, rows 2 to the last
// row). A field Excel cannot check still gets one, of type "none", for its input prompt.
func validation(f *pipeline.Field, col string) *rule {
	ref := col + "2"
	sqref := fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = sqref
	stop := excelize.DataValidationErrorStyleStop // bulk would reject what Excel refuses
	r := &rule{dv: dv}

	// Conditions for a custom formula, used when the field needs more than one of Excel's
	// built-in checks (a range and NONE, a length and uniqueness...).
	var conds []string
	unique := func() {
		if f.Unique {
			conds = append(conds, fmt.Sprintf("COUNTIF($%s$2:$%s$%d,%s)<=1", col, col, excelize.TotalRows, ref))
		}
	}
	errMsg := Describe(f)

	if vals, only := Values(f); len(vals) > 0 {
		if inline(vals) {
			if err := dv.SetDropList(vals); err != nil {
				r.list = vals
			}
		} else {
			r.list = vals
		}
		finish(dv, f, stop, "Choose a value from the drop-down list.")
		if !only {
			// Suggestions, not the only spellings bulk accepts ("1" as well as "1 Learner"): the
			// drop-down helps, and a typed value stands without an alert; bulk checks it.
			dv.ShowErrorMessage = false
		}
		return r
	}

	switch f.Type {
	case pipeline.Integer:
		lo, hi := "-"+widest, widest
		if f.Max > f.Min {
			lo, hi = fmt.Sprint(f.Min), fmt.Sprint(f.Max)
		}
		if f.AllowNone == "" && !f.Unique {
			_ = dv.SetRange(lo, hi, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween)
			break
		}
		conds = append(conds, fmt.Sprintf("AND(ISNUMBER(%s),%s=INT(%s),%s>=%s,%s<=%s)", ref, ref, ref, ref, lo, ref, hi))
		unique()
	case pipeline.Decimal:
		// Excel's decimal check cannot limit decimal places; ROUND can. The comparison allows
		// for binary fractions (12.5 rounded may differ from 12.5 in the last bit in some engines).
		conds = append(conds, fmt.Sprintf("AND(ISNUMBER(%s),ABS(ROUND(%s,%d)-%s)<1E-9)", ref, ref, f.Places, ref))
		unique()
	case pipeline.Date:
		if f.AllowNone == "" && !f.Unique {
			_ = dv.SetRange(firstDateSerial, lastDateSerial, excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween)
			break
		}
		conds = append(conds, fmt.Sprintf("AND(ISNUMBER(%s),%s>=%d,%s<=%d)", ref, ref, firstDateSerial, ref, lastDateSerial))
		unique()
	case pipeline.ULN:
		if !f.Unique {
			_ = dv.SetRange(10, 10, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween)
			break
		}
		conds = append(conds, fmt.Sprintf("LEN(%s)=10", ref))
		unique()
	case pipeline.Email:
		conds = append(conds, fmt.Sprintf("ISNUMBER(FIND(\"@\",%s))", ref))
		if f.MaxLen > 0 {
			conds = append(conds, fmt.Sprintf("LEN(%s)<=%d", ref, f.MaxLen))
		}
		unique()
	default: // text, NINO
		if f.MaxLen > 0 && !f.Unique && f.AllowNone == "" {
			_ = dv.SetRange(0, f.MaxLen, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween)
			break
		}
		if f.MaxLen > 0 {
			conds = append(conds, fmt.Sprintf("LEN(%s)<=%d", ref, f.MaxLen))
		}
		unique()
	}
	if dv.Type == "" && len(conds) == 0 {
		dv.Type = "none" // "Any value": the prompt still tells what goes in the cell
		finish(dv, f, stop, errMsg)
		dv.ShowErrorMessage = false
		return r
	}
	if dv.Type == "" {
		formula := conds[0]
		if len(conds) > 1 {
			formula = "AND(" + strings.Join(conds, ",") + ")"
		}
		if f.AllowNone != "" {
			// Text compared with = ignores case in Excel, as bulk does for NONE.
			formula = fmt.Sprintf("OR(%s,%s=\"%s\")", formula, ref, strings.ReplaceAll(f.AllowNone, `"`, `""`))
		}
		dv.Type = "custom"
		// excelize writes Formula1 into the XML as it is (it escapes only the lists it builds).
		dv.Formula1 = xmlEscaper.Replace(formula)
	}
	if f.Unique {
		errMsg += " This value is already on another row."
	}
	finish(dv, f, stop, errMsg)
	return r
}

// inline reports whether vals fit an inline drop-down list: at most 255 characters with the
// commas that separate them, and no value holding a comma or a quote (which the list cannot
// escape reliably across spreadsheet programs).
func inline(vals []string) bool {
	n := len(vals) - 1
	for _, v := range vals {
		if strings.ContainsAny(v, ",\"") {
			return false
		}
		n += utf8.RuneCountInString(v)
	}
	return n <= maxInlineList
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// finish sets the prompt Excel shows when a cell is selected and the alert it shows for a bad value.
func finish(dv *excelize.DataValidation, f *pipeline.Field, style excelize.DataValidationErrorStyle, msg string) {
	need := "Optional"
	if f.Required {
		need = "Required"
	}
	prompt := need + ". " + sentence(f.Help) + Describe(f)
	dv.SetInput(clip(f.Name, maxPromptTitle), clip(prompt, maxPrompt))
	dv.SetError(style, clip(f.Name, maxErrorTitle), clip(msg, maxError))
}

// clip shortens s to n characters, ending with an ellipsis when it cut something.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// sentence returns s ending with a full stop and a space, or "" for an empty s.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s + " "
}
