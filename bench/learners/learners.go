// Package learners writes realistic, valid learner rows for OneFile (the onefile-users kind) to
// benchmark bulk with: check-digit-valid ULNs, issued NINO prefixes, unique e-mail addresses and
// MIS IDs, UK dates in order, and a sprinkling of names beyond ASCII.
package learners

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Header is OneFile's own field names for a learner upload (formats/onefile documents them).
var Header = []string{"FirstName", "LastName", "Email", "Role", "MISID", "ULN", "NINO", "DOB", "StartOn",
	"PlannedEndDate", "DefaultAssessorID", "ClassroomID", "PlacementID", "L12", "L13", "MobileNumber"}

var firstNames = []string{"Amira", "Oliver", "Zoë", "Jack", "Amélie", "Mohammed", "Isla", "Noah", "Freya", "Leo",
	"Aoife", "Harry", "Priya", "Charlie", "Siobhán", "George", "Maya", "Arthur", "Chloé", "Oscar", "Grace", "Jörg",
	"Ava", "Theo", "Niamh", "Alfie", "Lily-Rose", "Kacper", "Ellie", "Tomasz"}

var lastNames = []string{"Khan", "Smith", "Jones", "Taylor", "O'Brien", "Williams", "Brown", "Davies", "Evans",
	"Wilson", "Thomas", "Nowak", "Johnson", "Roberts", "Patel", "Robinson", "Wright", "Ó Súilleabháin", "Walker",
	"Hughes", "Green", "Lewis-Hall", "Wood", "Harris", "Müller", "Clarke", "Jackson", "Begum", "Turner", "Hill"}

// L12 ethnicity codes of the ILR.
var ethnicity = []string{"31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45",
	"46", "47", "98", "99"}

// Write writes a header and rows learner rows to w, CRLF-terminated as Excel writes them. The
// same seed gives the same file.
func Write(w io.Writer, rows int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0x6275_6c6b))
	bw.WriteString(strings.Join(Header, ",") + "\r\n")
	var b []byte
	for i := 0; i < rows; i++ {
		first := firstNames[rng.IntN(len(firstNames))]
		last := lastNames[rng.IntN(len(lastNames))]
		b = b[:0]
		b = append(b, first...)
		b = append(b, ',')
		b = append(b, last...)
		b = append(b, ',')
		b = appendEmail(b, first, last, i)
		b = append(b, ",1,"...)
		b = fmt.Appendf(b, "L%08d,", i+1)
		b = appendULN(b, i)
		b = append(b, ',')
		b = appendNINO(b, rng)
		b = append(b, ',')
		// Born 1965-2008, started 2024-2026, planned to end 12-36 months later.
		b = appendDate(b, 1+rng.IntN(28), 1+rng.IntN(12), 1965+rng.IntN(44))
		b = append(b, ',')
		sm, sy := 1+rng.IntN(12), 2024+rng.IntN(3)
		b = appendDate(b, 1+rng.IntN(28), sm, sy)
		b = append(b, ',')
		months := sm + 12 + rng.IntN(25)
		b = appendDate(b, 1+rng.IntN(28), 1+(months-1)%12, sy+(months-1)/12)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(100000+rng.IntN(900)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(20000+rng.IntN(400)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(300000+rng.IntN(5000)), 10)
		b = append(b, ',')
		b = append(b, ethnicity[rng.IntN(len(ethnicity))]...)
		b = append(b, ',')
		b = append(b, "MF"[rng.IntN(2)])
		b = fmt.Appendf(b, ",07700 9%05d\r\n", rng.IntN(100000))
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendEmail writes first.last.N@learners.example-college.ac.uk, lower case and ASCII, unique by N.
func appendEmail(b []byte, first, last string, n int) []byte {
	for _, s := range []string{first, ".", last} {
		for _, r := range strings.ToLower(s) {
			switch {
			case r >= 'a' && r <= 'z' || r == '.' || r == '-':
				b = append(b, byte(r))
			case r == 'é' || r == 'ë':
				b = append(b, 'e')
			case r == 'ö' || r == 'ó':
				b = append(b, 'o')
			case r == 'ü' || r == 'ú':
				b = append(b, 'u')
			case r == 'á':
				b = append(b, 'a')
			}
		}
	}
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(n+1), 10)
	return append(b, "@learners.example-college.ac.uk"...)
}

// appendULN writes a valid Unique Learner Number, different for each n: nine digits from n and
// the Learning Records Service check digit (weights 10..2, mod 11; remainder 0 has no digit, so
// the next of three candidate prefixes is used).
func appendULN(b []byte, n int) []byte {
	for k := 0; k < 3; k++ {
		prefix := strconv.Itoa(100000000 + 3*n + k)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(prefix[i]-'0') * (10 - i)
		}
		if r := sum % 11; r != 0 {
			b = append(b, prefix...)
			return append(b, byte('0'+10-r))
		}
	}
	panic("three consecutive ULN prefixes without a check digit")
}

const (
	ninoFirst  = "ABCEGHJKLMNOPRSTWXYZ"
	ninoSecond = "ABCEGHJKLMNPRSTWXYZ"
)

var ninoBanned = map[string]bool{"BG": true, "GB": true, "KN": true, "NK": true, "NT": true, "TN": true, "ZZ": true}

func appendNINO(b []byte, rng *rand.Rand) []byte {
	for {
		p := string([]byte{ninoFirst[rng.IntN(len(ninoFirst))], ninoSecond[rng.IntN(len(ninoSecond))]})
		if ninoBanned[p] {
			continue
		}
		b = append(b, p...)
		b = fmt.Appendf(b, "%06d", rng.IntN(1000000))
		return append(b, "ABCD"[rng.IntN(4)])
	}
}

func appendDate(b []byte, d, m, y int) []byte {
	return fmt.Appendf(b, "%02d/%02d/%04d", d, m, y)
}
