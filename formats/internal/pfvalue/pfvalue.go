// Package pfvalue holds the value rules the PeopleFluent kinds share: enumerations with the
// spellings people write, ISO language and currency codes, lists of user IDs and time zones, and
// the rule codes they raise. Each check returns the canonical value the LMS expects, so the
// export writes exactly what validation accepted.
package pfvalue

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every machine, with or without /usr/share/zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline"
)

// Rule codes the PeopleFluent kinds raise besides the pipeline's own. Codes are never renamed.
const (
	RuleDateRange    = "date-range"
	RuleUserIDList   = "user-id-list"
	RuleTimeZone     = "time-zone"
	RuleCurrency     = "currency"
	RuleLanguage     = "language"
	RuleIgnoredValue = "ignored-value"
	RulePairedValue  = "paired-value"
	RuleNegative     = "negative"
)

// Rules are the rule codes the PeopleFluent kinds share, for `bulk rules` (internal/catalog).
var Rules = []pipeline.Rule{
	{Code: RuleDateRange, Summary: "A start date and time is after the end (or not before it, for a session).", Example: "STARTDATE 05-Sep-2026, ENDDATE 01-Sep-2026"},
	{Code: RuleUserIDList, Summary: "A list of user IDs (instructors) is not user IDs separated by | (vertical bar).", Example: "Instructor 'jsmith ajones'"},
	{Code: RuleTimeZone, Summary: "Not a time zone ID the LMS knows (IANA names like Europe/London, or GMT+hh:mm).", Example: "SESSIONTIMEZONE 'British Time'"},
	{Code: RuleCurrency, Summary: "Not an active ISO 4217 three-letter currency code.", Example: "Currency 'UKP' or 'HRK'"},
	{Code: RuleLanguage, Summary: "Not an ISO 639-1 language code, optionally with a region (en, fr_CA, es_ES).", Example: "Language 'English'"},
	{Code: RuleIgnoredValue, Summary: "A value the LMS ignores in this row's situation; it is sent but has no effect (warning).", Example: "Transfer Session Code on an ACTION A row"},
	{Code: RulePairedValue, Summary: "A value that means little without its partner (Duration without Unit, Cost without Currency) (warning).", Example: "Cost 250 with no Currency"},
	{Code: RuleNegative, Summary: "A number that cannot be negative is.", Example: "Duration '-2'"},
}

// Value is one member of an enumeration: the code the LMS expects and the other spellings
// people write for it (matched ignoring case, spaces and punctuation).
type Value struct {
	Code  string
	Label string   // what the code means, as the vendor's table says it ("Program")
	Also  []string // more accepted spellings
}

// Enum is a closed list of values, each accepted under its code, its label and its aliases.
type Enum struct {
	Values []Value
	// Also describes accepted input outside the list for messages ("blank adds or updates").
	Also  string
	index map[string]string // folded spelling → code
	exact map[string]string // spelling as commonly written (as given, upper, lower) → code, no folding
}

// NewEnum builds an enumeration. Two values sharing a spelling is a programming error.
func NewEnum(vals ...Value) *Enum {
	e := &Enum{Values: vals, index: map[string]string{}, exact: map[string]string{}}
	for _, v := range vals {
		// "C Program", as Choices offers it in a template's drop-down, is accepted too.
		spellings := append([]string{v.Code, v.Label}, v.Also...)
		if v.Label != "" {
			spellings = append(spellings, v.Code+" "+v.Label)
		}
		for _, s := range spellings {
			k := fold(s)
			if k == "" {
				continue
			}
			for _, x := range []string{s, strings.ToUpper(s), strings.ToLower(s)} {
				e.exact[x] = v.Code
			}
			if old, dup := e.index[k]; dup && old != v.Code {
				panic(fmt.Sprintf("pfvalue: %q means both %s and %s", s, old, v.Code))
			}
			e.index[k] = v.Code
		}
	}
	return e
}

// Canonical returns the code v names, or "" and false.
func (e *Enum) Canonical(v string) (string, bool) {
	if c, ok := e.exact[v]; ok {
		return c, true // the usual case, without building a folded copy
	}
	c, ok := e.index[fold(v)]
	return c, ok
}

// Codes returns the codes in order.
func (e *Enum) Codes() []string {
	out := make([]string, len(e.Values))
	for i, v := range e.Values {
		out[i] = v.Code
	}
	return out
}

// Choices returns "code label" pairs for a template's drop-down ("C Program").
func (e *Enum) Choices() []string {
	out := make([]string, len(e.Values))
	for i, v := range e.Values {
		out[i] = strings.TrimSpace(v.Code + " " + v.Label)
	}
	return out
}

// List describes the values for a message: "C (Program), M (Exam)" or "Active, Completed".
func (e *Enum) List() string {
	parts := make([]string, len(e.Values))
	for i, v := range e.Values {
		if v.Label != "" && fold(v.Label) != fold(v.Code) {
			parts[i] = fmt.Sprintf("%s (%s)", v.Code, v.Label)
		} else {
			parts[i] = v.Code
		}
	}
	return strings.Join(parts, ", ")
}

// Describe is List with what else the field accepts: its AllowNone literal and Also.
func (e *Enum) Describe(fd *pipeline.Field) string {
	s := e.List()
	if fd != nil && fd.AllowNone != "" {
		s += "; or " + fd.AllowNone + " to clear it"
	}
	if e.Also != "" {
		s += "; or " + e.Also
	}
	return s
}

// Rule returns a row rule checking field f against the enumeration. A value equal to the
// field's AllowNone literal is left to the field check.
func (e *Enum) Rule(f int) func(r *pipeline.Row) {
	return func(r *pipeline.Row) {
		v := r.Value(f)
		if v == "" {
			return
		}
		fd := &r.Kind().Fields[f]
		if fd.AllowNone != "" && strings.EqualFold(v, fd.AllowNone) {
			return
		}
		if _, ok := e.Canonical(v); !ok {
			r.Errorf(f, pipeline.RuleEnum, "%s %q is not one of: %s.", fd.Name, v, e.Describe(fd))
		}
	}
}

// fold reduces a spelling to letters and digits, lower-cased: "Workshop/Seminar",
// "workshop seminar" and "WORKSHOP-SEMINAR" are one value.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '*' {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

//go:embed currencies.txt
var currencyList string

var currencies = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(currencyList, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// withdrawn names the codes people still write whose currency is gone, and what replaced it.
var withdrawn = map[string]string{
	"HRK": "EUR", "ANG": "XCG", "SLL": "SLE", "ZWL": "ZWG", "VEF": "VES", "MRO": "MRU", "STD": "STN",
	"BYR": "BYN", "LTL": "EUR", "LVL": "EUR", "EEK": "EUR", "SKK": "EUR", "CYP": "EUR", "MTL": "EUR",
	"SIT": "EUR", "DEM": "EUR", "FRF": "EUR", "ITL": "EUR", "ESP": "EUR", "IEP": "EUR", "NLG": "EUR",
	"CUC": "CUP", "UKP": "GBP",
}

// Currencies returns the accepted currency codes, sorted.
func Currencies() []string {
	out := make([]string, 0, len(currencies))
	for c := range currencies {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Currency returns the upper-case code for v, or a message saying what is wrong.
func Currency(v string) (code, msg string) {
	c := strings.ToUpper(strings.TrimSpace(v))
	if currencies[c] {
		return c, ""
	}
	if repl, ok := withdrawn[c]; ok {
		if c == "UKP" {
			return "", "is not an ISO 4217 code; the pound sterling is GBP"
		}
		return "", fmt.Sprintf("is a withdrawn currency code; use %s", repl)
	}
	if len(c) != 3 {
		return "", "is not a three-letter ISO 4217 currency code (such as GBP, EUR or USD)"
	}
	return "", "is not an active ISO 4217 currency code (such as GBP, EUR or USD)"
}

// iso639_1 are the two-letter language codes of ISO 639-1, plus the old codes Java (and so the
// LMS) still writes for Hebrew, Indonesian and Yiddish.
var iso639_1 = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs
		ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn
		gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn
		ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng
		nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm
		sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa
		wo xh yi yo za zh zu iw in ji`) {
		m[c] = true
	}
	return m
}()

// Language returns v as the LMS writes a language code — "en", "fr_CA", "es_419" — or a
// message. A region may follow after _ or -; it is two letters or a three-digit UN area.
func Language(v string) (code, msg string) {
	v = strings.TrimSpace(v)
	if len(v) == 2 && iso639_1[v] {
		return v, "" // already a lower-case code: the usual case, without copies
	}
	lang, region, hasRegion := strings.Cut(strings.ReplaceAll(v, "-", "_"), "_")
	lang = strings.ToLower(lang)
	if !iso639_1[lang] {
		if len(lang) == 2 {
			return "", "is not an ISO 639-1 language code (such as en, fr_CA or es_ES)"
		}
		return "", "is not an ISO language code: write the two-letter code (en, fr, de), optionally with a region (fr_CA, es_ES)"
	}
	if !hasRegion {
		return lang, ""
	}
	switch {
	case len(region) == 2 && isLetters(region):
		return lang + "_" + strings.ToUpper(region), ""
	case len(region) == 3 && isDigits(region):
		return lang + "_" + region, ""
	}
	return "", "has a region that is not two letters or three digits (fr_CA, es_ES, es_419)"
}

// LooksLikeLanguageCode reports whether v is written as a code (en, fr_CA) rather than a name.
func LooksLikeLanguageCode(v string) bool {
	lang, _, _ := strings.Cut(strings.ReplaceAll(strings.TrimSpace(v), "-", "_"), "_")
	return len(lang) == 2 && isLetters(lang)
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// MaxUserID is the longest user ID the LMS accepts (externalTrainingCsv: UserId, max 85).
const MaxUserID = 85

// UserIDs splits a list of user IDs. The vendor's separator is |; people also write ; or , and
// those are accepted and rewritten as |. IDs are lower-cased, as the LMS stores them. It
// returns the canonical list ("instr1|instr2") or a message.
func UserIDs(v string) (list, msg string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ""
	}
	if canonicalIDList(v, false) {
		return v, ""
	}
	if lower := strings.ToLower(v); canonicalIDList(lower, false) {
		return lower, "" // only capitals to fold: one copy instead of a split
	}
	return splitUserIDs(v)
}

func splitUserIDs(v string) (list, msg string) {
	sep := func(r rune) bool { return r == '|' || r == ';' || r == ',' }
	parts := strings.FieldsFunc(v, sep)
	ids := make([]string, 0, len(parts))
	seen := map[string]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if strings.IndexFunc(p, unicode.IsSpace) >= 0 {
			return "", fmt.Sprintf("has %q, which is not one user ID (user IDs have no spaces); separate user IDs with |, as in instr1|instr2", p)
		}
		if n := utf8.RuneCountInString(p); n > MaxUserID {
			return "", fmt.Sprintf("has a user ID of %d characters; the most allowed is %d", n, MaxUserID)
		}
		p = strings.ToLower(p)
		if seen[p] {
			continue // one person named twice is still one instructor
		}
		seen[p] = true
		ids = append(ids, p)
	}
	if len(ids) == 0 {
		return "", "has separators but no user ID"
	}
	return strings.Join(ids, "|"), ""
}

// CheckUserIDs is UserIDs for validation: only the message, without building the list.
func CheckUserIDs(v string) string {
	if v = strings.TrimSpace(v); v == "" || canonicalIDList(v, true) {
		return ""
	}
	_, msg := splitUserIDs(v)
	return msg
}

// canonicalIDList reports whether v is already what UserIDs would return: lower-case IDs of at
// most MaxUserID bytes, without spaces or other separators, joined by single bars, none repeated.
// With anyCase, capitals are allowed (and repeats compared ignoring case): the list is valid
// and only needs lower-casing. It saves the split on every row of a large file.
func canonicalIDList(v string, anyCase bool) bool {
	start, n := 0, 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			c := v[i]
			if !anyCase && c >= 'A' && c <= 'Z' || c <= ' ' || c == ';' || c == ',' || c >= 0x80 {
				return false
			}
			if c != '|' {
				continue
			}
		}
		if i == start || i-start > MaxUserID {
			return false
		}
		n++
		if n > 1 && n <= 8 { // repeats: compare with the earlier IDs (lists are short)
			id := v[start:i]
			for j, k := 0, 0; j < start; j = k + 1 {
				k = j + strings.IndexByte(v[j:], '|')
				if v[j:k] == id || anyCase && strings.EqualFold(v[j:k], id) {
					return false
				}
			}
		} else if n > 8 {
			return false
		}
		start = i + 1
	}
	return true
}

var gmtOffset = regexp.MustCompile(`^(?:GMT|UTC)[+-](?:[01]?\d|2[0-3])(?::?[0-5]\d)?$`)

// TimeZone returns the time zone ID as the LMS (a Java application) knows it: an IANA name
// such as Europe/London (case as in the tz database), UTC, or a GMT offset like GMT+05:30.
func TimeZone(v string) (string, bool) {
	v = strings.TrimSpace(v)
	up := strings.ToUpper(v)
	if up == "UTC" || up == "GMT" {
		return up, true
	}
	if gmtOffset.MatchString(up) {
		return up, true
	}
	if strings.EqualFold(v, "local") || v == "" {
		return "", false // LoadLocation accepts "Local", which means nothing to the LMS
	}
	if _, err := time.LoadLocation(v); err == nil {
		return v, true
	}
	return "", false
}

// NormalizeID trims an identifier the LMS stores lower-case.
func NormalizeID(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

// The externalTrainingCsv CourseType field, as both the exporter (formats/externalcsv) and the
// sandbox (formats/peoplefluent/sandbox) read it, so the two cannot disagree. The vendor's table
// lists "TNS (not specified), C Program, R Classroom, O Online, W Workshop/Seminar" and says "Max
// 1 character": TNS does not fit. TNS is the LMS's own name for "no type", which it records when
// the field is blank, so "not specified" is sent blank. That the LMS refuses a literal TNS is a
// guess from the length limit; the sandbox refuses it, so a rehearsal catches a hand-made file
// that carries one.
const CourseTypeNotSpecified = "TNS"

// CourseTypeCodes are the one-character CourseType codes the field takes.
var CourseTypeCodes = []string{"C", "R", "O", "W"}

// SendCourseType is the CourseType value sent for a canonical code: the code, or blank for TNS.
func SendCourseType(code string) string {
	if code == CourseTypeNotSpecified {
		return ""
	}
	return code
}

// CheckCourseTypeField says what is wrong with a CourseType value as sent, or "" when the field
// takes it (blank, or one of CourseTypeCodes).
// guess G37 (docs/guesses.md).
func CheckCourseTypeField(v string) string {
	switch {
	case v == "":
		return ""
	case strings.EqualFold(v, CourseTypeNotSpecified):
		return fmt.Sprintf("CourseType %q does not fit the field's 1 character: leave it blank for not specified.", v)
	}
	for _, c := range CourseTypeCodes {
		if strings.EqualFold(v, c) {
			return ""
		}
	}
	return fmt.Sprintf("CourseType %q is not %s (or blank for not specified).", v, strings.Join(CourseTypeCodes, ", "))
}
