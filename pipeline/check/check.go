// Package check holds the value checks that rules share: whole numbers, decimals, e-mail
// addresses, UK identifiers (ULN, NINO) and dates in the formats data officers' files carry.
// Each function returns a message written for a data officer, or "" when the value is good.
package check

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Integer parses a whole number, accepting a trailing ".0" that spreadsheets add to numbers.
func Integer(s string) (int64, bool) {
	s = strings.TrimSuffix(s, ".0")
	// Nearly every cell is a few plain digits: read them without strconv's generality (a fifth of
	// the cost), and give anything else (signs, overflow, junk) to strconv to judge.
	if len(s) > 0 && len(s) <= 18 {
		var n int64
		for i := 0; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 {
				goto general
			}
			n = n*10 + int64(c)
		}
		return n, true
	}
general:
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Decimal reports whether s is a plain decimal number with at most places decimals.
func Decimal(s string, places int) (ok bool, tooPrecise bool) {
	if _, err := strconv.ParseFloat(s, 64); err != nil || strings.ContainsAny(s, "eEinfINFxX_") {
		return false, false
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > places {
		return true, true
	}
	return true, false
}

// Bool parses the spellings of true and false that spreadsheets and people use.
func Bool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1", "t":
		return true, true
	case "false", "no", "n", "0", "f":
		return false, true
	}
	return false, false
}

// Email checks an address the way a mail system would accept it for a login: one @, a local part
// of printable characters, and a domain of dot-separated labels with at least one dot. It is a
// hand-written scan because a regular expression cost most of the validation time per row.
func Email(s string) string {
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return "is not an e-mail address: it needs exactly one @ with text before it"
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || len(s) > 254 {
		return "is too long for an e-mail address"
	}
	// One pass over the local part finds both a doubled dot and the first bad byte; the answers
	// keep their order of precedence (this runs on every row of every file).
	bad, dots := -1, false
	for i := 0; i < len(local); i++ {
		c := local[i]
		if badLocal[c] && bad < 0 {
			bad = i
		}
		if c == '.' && i > 0 && local[i-1] == '.' {
			dots = true
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || dots {
		return "has a misplaced dot before the @"
	}
	if bad >= 0 {
		// The character, not its first byte: 'â' rather than 'Ã', '李' rather than 'æ'.
		r, _ := utf8.DecodeRuneInString(local[bad:])
		return "has a character that is not allowed in an e-mail address (" + strconv.QuoteRune(r) + ")"
	}
	if strings.IndexByte(domain, '.') < 0 {
		return "has no domain after the @ (such as example.ac.uk)"
	}
	// Labels one by one, without strings.Split; a label's shape is judged before its bytes.
	for start := 0; start <= len(domain); {
		end := start
		badByte := -1
		for end < len(domain) && domain[end] != '.' {
			if !domainByte[domain[end]] && badByte < 0 {
				badByte = end
			}
			end++
		}
		label := domain[start:end]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "has a domain that cannot exist after the @"
		}
		if badByte >= 0 {
			r, _ := utf8.DecodeRuneInString(domain[badByte:])
			msg := "has a character that is not allowed in the domain after the @ (" + strconv.QuoteRune(r) + ")"
			if r >= utf8.RuneSelf {
				msg += "; a domain in other scripts is sent in its ASCII form, which starts xn-- (punycode): ask the owner of the address for it"
			}
			return msg
		}
		start = end + 1
	}
	return ""
}

// domainByte marks the bytes a domain label may have: letters, digits and '-'.
var domainByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return t
}()

// badLocal marks the bytes an address may not have before its @: controls, space, non-ASCII and
// "(),:;<>[\] (a table, as this runs for every character of every address).
var badLocal = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),:;<>[\\]", byte(c)) >= 0
	}
	return t
}()

// ULN checks a Unique Learner Number: 10 digits, first 1-9, and the check digit of the
// Learning Records Service (weights 10..2 over the first nine digits, mod 11).
func ULN(s string) string {
	if len(s) != 10 {
		return "must be exactly 10 digits"
	}
	sum := 0
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "must be digits only"
		}
		if i < 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
	}
	if s[0] == '0' {
		return "cannot start with 0"
	}
	if s == "9999999999" {
		return "is the ILR placeholder 9999999999, not a real ULN; leave it blank instead"
	}
	r := sum % 11
	if r == 0 || int(s[9]-'0') != 10-r {
		return "fails the ULN check digit: a digit is probably mistyped"
	}
	return ""
}

// NormalizeNINO upper-cases a National Insurance number and removes spaces.
func NormalizeNINO(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ninoBanned reports the prefixes never issued: BG, GB, KN, NK, NT, TN, ZZ (a switch, not a map:
// this runs on every learner row).
func ninoBanned(a, b byte) bool {
	switch uint16(a)<<8 | uint16(b) {
	case 'B'<<8 | 'G', 'G'<<8 | 'B', 'K'<<8 | 'N', 'N'<<8 | 'K', 'N'<<8 | 'T', 'T'<<8 | 'N', 'Z'<<8 | 'Z':
		return true
	}
	return false
}

// NINO checks a National Insurance number (after NormalizeNINO): two prefix letters, six digits
// and an optional suffix A-D; D, F, I, Q, U, V never appear in the prefix, nor O as the second
// letter, and the prefixes BG, GB, KN, NK, NT, TN, ZZ are never issued.
// guess G15 (docs/guesses.md).
func NINO(s string) string {
	// Normalise into a buffer on the stack: a validation run checks one NINO per learner, and
	// NormalizeNINO allocates twice. Text beyond ASCII (a no-break space) takes the general way.
	var buf [9]byte
	n := buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			n = []byte(NormalizeNINO(s))
			break
		}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		if len(n) == len(buf) {
			return "must be two letters, six digits and a letter A-D, like AB 12 34 56 C"
		}
		n = append(n, c)
	}
	if len(n) != 8 && len(n) != 9 {
		return "must be two letters, six digits and a letter A-D, like AB 12 34 56 C"
	}
	for i := 2; i < 8; i++ {
		if n[i] < '0' || n[i] > '9' {
			return "must be two letters, six digits and a letter A-D, like AB 12 34 56 C"
		}
	}
	if len(n) == 9 && (n[8] < 'A' || n[8] > 'D') {
		return "must end with a letter A, B, C or D"
	}
	a, b := n[0], n[1]
	if !isNINOLetter(a) || !isNINOLetter(b) || b == 'O' {
		return "starts with letters that are never used in a National Insurance number"
	}
	if ninoBanned(n[0], n[1]) {
		return "starts with " + string(n[:2]) + ", a prefix that is never issued"
	}
	return ""
}

func isNINOLetter(c byte) bool {
	return c >= 'A' && c <= 'Z' && strings.IndexByte("DFIQUV", c) < 0
}

// Scientific reports whether s looks like a number a spreadsheet wrote in scientific notation,
// such as 1.23457E+09: the digits after the sixth are lost for good.
func Scientific(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i+2 > len(s) {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	exp := s[i+1:]
	return exp[0] == '+' || exp[0] == '-' || exp[0] >= '0' && exp[0] <= '9'
}
