package peoplefluent

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Row statuses in results.csv.
const (
	StatusOK      = "ok"
	StatusWarning = "warning"
	StatusFailed  = "failed"
)

// outcome is what the LMS said about one pushed row.
type outcome struct {
	status  string
	message string
}

// answerKind says what form an answer had, for logs and tests.
type answerKind string

const (
	answerEmpty        answerKind = "empty"
	answerNoError      answerKind = "no-error"
	answerEcho         answerKind = "echo"
	answerUnrecognised answerKind = "unrecognised"
)

const noErrorText = "no error occurred"

// maxMessage bounds one message in results.csv: an LMS stack trace in a
// cell helps nobody, and the raw answer is kept in full anyway.
const maxMessage = 1000

// parseAnswer reads the body of an HTTP 200 answer to a CSV chunk and returns
// one outcome per pushed row (same order as rows).
//
// The form seen in public client code: an optional note line ("Please go to
// the last Column to view the error"), the header, then rows as quoted CSV
// with a message in an added last column (warnings begin "WARNING."); or a
// line containing "No Error Occurred". Whether every row or only rows with a
// message are echoed is not documented, so both are handled: a row the LMS
// did not echo, in an answer of a known form, is ok. Echoed rows are matched
// to pushed rows by content (white space and, failing that, letter case
// ignored), searching forward from the last match so duplicates map in order.
// raw names the file the body is saved in, for messages.
// guess G30 (docs/guesses.md).
func parseAnswer(body []byte, header []string, rows [][]string, raw string) ([]outcome, answerKind) {
	out := make([]outcome, len(rows))
	text := strings.TrimPrefix(string(body), "\uFEFF")
	if strings.TrimSpace(text) == "" {
		for i := range out {
			out[i] = outcome{StatusWarning, "the LMS answered with an empty body (versions 10.1 and earlier do), so it did not say whether this row was loaded: check it in the LMS before sending it again"}
		}
		return out, answerEmpty
	}

	if strings.EqualFold(strings.TrimSpace(text), noErrorText) {
		// The usual answer to a good chunk: skip matching it against every row.
		for i := range out {
			out[i] = outcome{StatusOK, ""}
		}
		return out, answerNoError
	}

	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var (
		headerSeen, noError bool
		matched             = make([]bool, len(rows))
		nMatched            int
		unmapped            []string
		cursor              int
	)
	for bad := 0; ; {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Tolerate a line the reader cannot make sense of (an HTML
			// fragment, a stray quote), but do not loop on a reader
			// that keeps failing.
			if bad++; bad > 1000 {
				break
			}
			continue
		}
		if blankRecord(rec) {
			continue
		}
		if !headerSeen && isHeader(rec, header) {
			headerSeen = true
			continue
		}
		i := findRow(rec, rows, matched, cursor)
		if i < 0 {
			if containsFold(strings.Join(rec, ","), noErrorText) {
				noError = true
			} else if headerSeen {
				unmapped = append(unmapped, strings.Join(rec, ","))
			}
			// Before the header, an unmatched line is the note.
			continue
		}
		matched[i] = true
		nMatched++
		cursor = i + 1
		out[i] = classify(messageOf(rec, rows[i]))
	}

	kind := answerEcho
	switch {
	case nMatched == 0 && len(unmapped) == 0 && noError:
		kind = answerNoError
	case nMatched == 0 && len(unmapped) == 0 && !headerSeen:
		kind = answerUnrecognised
	}
	for i := range out {
		if matched[i] {
			continue
		}
		switch {
		case len(unmapped) > 0:
			out[i] = outcome{StatusWarning, fmt.Sprintf("the LMS reported on %d row(s) that bulk could not match to the pushed file (first: %q); this row may be one of them: see %s and check the row in the LMS", len(unmapped), clip(unmapped[0], 200), raw)}
		case kind == answerUnrecognised:
			hint := ""
			if strings.HasPrefix(strings.TrimSpace(text), "<") {
				hint = " It looks like a web page: check that --base is the LMS root (e.g. https://host/ekp/) and that system authentication is enabled."
			}
			out[i] = outcome{StatusWarning, fmt.Sprintf("the LMS answer is not in a form bulk knows (it begins %q), so it did not confirm this row: see %s and check the row in the LMS.%s", clip(firstLine(text), 120), raw, hint)}
		default:
			out[i] = outcome{StatusOK, ""}
		}
	}
	return out, kind
}

// parseWholeAnswer reads the answer to a payload posted whole (courses XML),
// whose form is not documented at all: "No Error Occurred" is ok; lines that
// mention an error make it failed, lines beginning "WARNING" a warning;
// anything else is a warning that the outcome is unknown.
// guess G31 (docs/guesses.md).
func parseWholeAnswer(body []byte, raw string) (outcome, answerKind) {
	text := strings.TrimSpace(strings.TrimPrefix(string(body), "\uFEFF"))
	if text == "" {
		return outcome{StatusWarning, "the LMS answered with an empty body, so it did not say whether the file was loaded: check the courses in the LMS before sending it again"}, answerEmpty
	}
	var errs, warns []string
	noError := false
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case containsFold(line, noErrorText):
			noError = true
		case hasPrefixFold(line, "WARNING"):
			warns = append(warns, line)
		case containsFold(line, "error"), containsFold(line, "exception"):
			errs = append(errs, line)
		}
	}
	switch {
	case len(errs) > 0:
		return outcome{StatusFailed, clip(strings.Join(errs, " | "), maxMessage)}, answerEcho
	case len(warns) > 0:
		return outcome{StatusWarning, clip(strings.Join(warns, " | "), maxMessage)}, answerEcho
	case noError:
		return outcome{StatusOK, ""}, answerNoError
	}
	return outcome{StatusWarning, fmt.Sprintf("the LMS answer is not in a form bulk knows (it begins %q), so it did not confirm the file: see %s and check the courses in the LMS", clip(firstLine(text), 120), raw)}, answerUnrecognised
}

// classify turns the LMS's message for a row into an outcome.
func classify(msg string) outcome {
	msg = strings.TrimSpace(msg)
	switch {
	case msg == "", containsFold(msg, noErrorText):
		return outcome{StatusOK, ""}
	case hasPrefixFold(msg, "WARNING"):
		return outcome{StatusWarning, clip(msg, maxMessage)}
	}
	return outcome{StatusFailed, clip(msg, maxMessage)}
}

// messageOf is the LMS's added last column, if the echoed record has more
// cells than the pushed row.
func messageOf(rec, row []string) string {
	if len(rec) > len(row) {
		return rec[len(rec)-1]
	}
	return ""
}

func isHeader(rec, header []string) bool {
	if len(rec) < len(header) {
		return false
	}
	for i, h := range header {
		if !strings.EqualFold(strings.TrimSpace(rec[i]), strings.TrimSpace(h)) {
			return false
		}
	}
	return true
}

// findRow finds the pushed row an echoed record stands for: first an exact
// (white space trimmed) match, then one ignoring letter case (the LMS stores
// user IDs lower-case and may echo them so), each searched from cursor
// onwards and then from the start.
func findRow(rec []string, rows [][]string, matched []bool, cursor int) int {
	for _, fold := range []bool{false, true} {
		for k := range rows {
			i := (cursor + k) % len(rows)
			if !matched[i] && sameCells(rec, rows[i], fold) {
				return i
			}
		}
	}
	return -1
}

// sameCells compares an echoed record with a pushed row on the row's cells.
// An echo shorter than the row (trailing empty cells dropped) matches when
// the missing cells are empty.
func sameCells(rec, row []string, fold bool) bool {
	if len(row) == 0 {
		return false
	}
	for j, want := range row {
		got := ""
		if j < len(rec) {
			got = rec[j]
		}
		if !sameCell(got, want, fold) {
			return false
		}
	}
	// A blank echo line is not every row with empty cells.
	return !blankRecord(rec)
}

func sameCell(a, b string, fold bool) bool {
	a, b = normCell(a), normCell(b)
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// normCell evens out what an echo may change in a cell: line ends, white
// space around it, and quotes left in place when a space stood before the
// opening quote (the lazy CSV reading of ` "x" `).
func normCell(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func containsFold(s, lowerSub string) bool {
	return strings.Contains(strings.ToLower(s), lowerSub)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// clip shortens s to at most n bytes without cutting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

var (
	htmlTag = regexp.MustCompile(`<[^>]*>`)
	spaces  = regexp.MustCompile(`\s+`)
)

// firstBytes is a short, single-line excerpt of an answer for messages; an
// HTML error page is reduced to its text.
func firstBytes(body []byte) string {
	s := strings.TrimSpace(string(bytes.ToValidUTF8(body, []byte("?"))))
	if strings.HasPrefix(s, "<") {
		s = htmlTag.ReplaceAllString(s, " ")
	}
	return clip(strings.TrimSpace(spaces.ReplaceAllString(s, " ")), 200)
}
