package check

// ExcelScientific reports whether s has the exact shape a spreadsheet gives a long number shown
// in its General format: one digit, optional decimals, then E, a sign and the exponent
// ("1.23457E+09", "1E+11"). Identifiers that may legitimately contain an E (a MISID like
// "12E3") do not have the sign, so this is safe to apply to any identifier column.
func ExcelScientific(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return false
	}
	i++
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i+2 >= len(s) { // E, sign and at least one exponent digit must follow
		return false
	}
	if s[i] != 'E' && s[i] != 'e' || (s[i+1] != '+' && s[i+1] != '-') {
		return false
	}
	i += 2
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i == len(s) && i > start
}

// UKPhoneLostZero reports whether s looks like a UK telephone number whose leading 0 a
// spreadsheet dropped when it stored the number as a number: ten digits starting 1, 2, 3, 7 or 8
// (UK numbers are 0 plus ten digits; 01/02/03 are landlines, 07 mobiles, 08 non-geographic).
// Spaces are ignored, so "7700 900123" counts.
func UKPhoneLostZero(s string) bool {
	n := 0
	var first byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			continue
		}
		if !isDigit(c) {
			return false
		}
		if n == 0 {
			first = c
		}
		n++
	}
	return n == 10 && (first == '1' || first == '2' || first == '3' || first == '7' || first == '8')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
