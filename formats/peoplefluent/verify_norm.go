package peoplefluent

import (
	"strconv"
	"strings"
	"time"
)

// How a payload's values and trainingHistoryXml's are brought to one form before they are
// compared. The payload side is documented (the trainingHistoryCsv field table); the LMS side
// is not (trainingHistory200510.xsd is not public): xs:dateTime dates and the transcript
// statuses the field table names (PASSED, COMPLETED, IN PROGRESS, NOT STARTED, WITHDRAWN,
// DEACTIVATED, WAIVER/EXEMPT), in any case and spacing, are guesses.

// sentDateLayouts are the trainingHistoryCsv date formats (doc): dd-mm-yy, dd-mm-yyyy,
// dd-mmm-yy, dd-mmm-yyyy, each with HH:MM or without (00:00).
var sentDateLayouts = func() []string {
	var l []string
	for _, d := range []string{"2-1-2006", "2-Jan-2006", "2-1-06", "2-Jan-06"} {
		l = append(l, d+" 15:04", d)
	}
	return l
}()

// lmsDateLayouts are xs:dateTime with and without seconds, fraction and zone, and a date alone.
var lmsDateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// dateKey is a date to the minute, as written (wall clock): the LMS's time zone is not known,
// so a zone in its answer is not applied.
const dateKey = "2006-01-02 15:04"

func normSent(bit uint8, v string) string {
	switch bit {
	case fEnroll, fStart, fEnd:
		return normSentDate(v)
	case fStatus:
		return normSentStatus(v)
	}
	return normScore(v)
}

func normSentDate(v string) string {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "NONE") {
		return "" // the LMS should hold no date
	}
	for _, l := range sentDateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.Format(dateKey)
		}
	}
	return "?" + strings.ToLower(v)
}

func normLMSDate(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	for _, l := range lmsDateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.Format(dateKey)
		}
	}
	return "?" + strings.ToLower(v)
}

// statusClass is a transcript status reduced to letters, lower-case ("In Progress" and
// "inProgress" are "inprogress"), then to the payload status that leads to it.
var statusClass = map[string]string{
	"pass": "pass", "passed": "pass",
	"completed": "completed", "complete": "completed",
	// Active enrols: IN PROGRESS with dates, NOT STARTED without (doc).
	"active": "active", "inprogress": "active", "notstarted": "active", "enrolled": "active",
	"withdrawn":   "withdrawn",
	"deactivated": "deactivated",
	"exempt":      "exempt", "waiver": "exempt", "waiverexempt": "exempt", "exempted": "exempt",
}

func letters(v string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(v) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func normSentStatus(v string) string {
	l := letters(v)
	if c, ok := statusClass[l]; ok {
		return c
	}
	return "?" + l
}

func normLMSStatus(v string) string {
	if strings.TrimSpace(v) == "" {
		return ""
	}
	return normSentStatus(v)
}

// normScore: numbers compare as numbers (87.50 is 87.5); other text ignoring case.
func normScore(v string) string {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strings.ToLower(v)
}
