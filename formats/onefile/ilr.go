package onefile

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The ILR code lists OneFile's L12..L16 fields take (shared/reference/onefile-api.md, "UK
// field rules"). The labels are the ILR specification's, for templates and messages.

// Ethnicities are the ILR Ethnicity codes (L12).
var Ethnicities = map[int]string{
	31: "English/Welsh/Scottish/Northern Irish/British", 32: "Irish", 33: "Gypsy or Irish Traveller",
	34: "Any other White background", 35: "White and Black Caribbean", 36: "White and Black African",
	37: "White and Asian", 38: "Any other Mixed/multiple ethnic background", 39: "Indian", 40: "Pakistani",
	41: "Bangladeshi", 42: "Chinese", 43: "Any other Asian background", 44: "African", 45: "Caribbean",
	46: "Any other Black/African/Caribbean background", 47: "Arab", 98: "Any other ethnic group", 99: "Not provided",
}

// LLDDCategories are the ILR LLDD and health problem category codes, used for L15 (disability)
// and L16 (learning difficulty). The legacy lists of these two OneFile fields were not found, so
// a code outside this list is a warning, not an error.
// guess G15 (docs/guesses.md).
var LLDDCategories = map[int]string{
	4: "Visual impairment", 5: "Hearing impairment", 6: "Disability affecting mobility",
	7: "Profound complex disabilities", 8: "Social and emotional difficulties", 9: "Mental health difficulty",
	10: "Moderate learning difficulty", 11: "Severe learning difficulty", 12: "Dyslexia", 13: "Dyscalculia",
	14: "Autism spectrum disorder", 15: "Asperger's syndrome", 16: "Temporary disability after illness or accident",
	17: "Speech, Language and Communication Needs", 93: "Other physical disability",
	94: "Other specific learning difficulty (e.g. Dyspraxia)", 95: "Other medical condition (e.g. epilepsy, asthma, diabetes)",
	96: "Other learning difficulty", 97: "Other disability", 98: "Prefer not to say", 99: "Not provided",
}

// codeChoices lists a code table as template drop-down values: "31 Irish", ...
func codeChoices(codes map[int]string) []string {
	keys := make([]int, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%d %s", k, codes[k])
	}
	return out
}

// ParseCode reads an ILR code as a data officer writes it: "31", "31.0" (a spreadsheet number)
// or "31 English/Welsh/..." (a template's drop-down value, whose label must then match).
func ParseCode(v string, codes map[int]string) (code int, ok bool) {
	n, rest, isNum := leadingNumber(strings.TrimSpace(v))
	if !isNum {
		return 0, false
	}
	label, known := codes[n]
	if !known {
		return n, false
	}
	if rest != "" && foldWord(rest) != foldWord(label) {
		return n, false
	}
	return n, true
}

// codeList describes a code table compactly for messages: "31-47, 98, 99".
func codeList(codes map[int]string) string {
	keys := make([]int, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for i := 0; i < len(keys); {
		j := i
		for j+1 < len(keys) && keys[j+1] == keys[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, strconv.Itoa(keys[i])+"-"+strconv.Itoa(keys[j]))
		case j > i:
			parts = append(parts, strconv.Itoa(keys[i]), strconv.Itoa(keys[j]))
		default:
			parts = append(parts, strconv.Itoa(keys[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
