package pipeline

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// NormalizeHeader folds a header for matching: case, spaces, '_' and '-' are ignored, and so are
// a byte-order mark and non-breaking spaces that Excel leaves behind.
func NormalizeHeader(h string) string {
	var b strings.Builder
	b.Grow(len(h))
	for _, r := range h {
		switch {
		case r == '_' || r == '-' || r == '\ufeff' || unicode.IsSpace(r) || r == '\u00a0':
			continue
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Aliases maps a site's own headers to canonical field names (from --map FILE).
type Aliases map[string]string // normalized header → canonical field name

// LoadAliases reads a --map file: YAML whose top level maps "header in your file" to the canonical
// field name, e.g.
//
//	Learner Forename: FirstName
//	Tutor email: DefaultAssessorEmail
func LoadAliases(path string) (Aliases, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the header map: %w", err)
	}
	defer f.Close()
	return ParseAliases(f, path)
}

// ParseAliases parses the YAML of a header map; name is used in error messages.
func ParseAliases(r io.Reader, name string) (Aliases, error) {
	var raw map[string]string
	if err := yaml.NewDecoder(r).Decode(&raw); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s is not a header map: %v (expected lines like `Learner Forename: FirstName`)", name, err)
	}
	a := make(Aliases, len(raw))
	for k, v := range raw {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%s: header %q maps to nothing", name, k)
		}
		a[NormalizeHeader(k)] = strings.TrimSpace(v)
	}
	return a, nil
}

// Mapping ties the columns of one table to the fields of its kind.
type Mapping struct {
	Kind    *Kind
	Col     []int // field index → column index, or -1 when the table has no such column
	FieldOf []int // column index → field index, or -1 for a column nobody knows
}

func (m *Mapping) lookup(header string, aliases Aliases) int {
	if name, ok := aliases[NormalizeHeader(header)]; ok {
		if i := m.Kind.Lookup(name); i >= 0 {
			return i
		}
	}
	return m.Kind.Lookup(header)
}

// MapHeader maps a table's header onto kind k. Problems are reported on the header row: unknown
// columns (warning), two columns for one field (warning), and missing required columns (error;
// fatal is then true and every row of the table is rejected).
func MapHeader(k *Kind, src *Source, aliases Aliases) (m *Mapping, problems []Problem, fatal bool) {
	m = &Mapping{Kind: k, Col: make([]int, len(k.Fields)), FieldOf: make([]int, len(src.Header))}
	for i := range m.Col {
		m.Col[i] = -1
	}
	hp := func(col, rule string, sev Severity, msg string) {
		problems = append(problems, Problem{Source: src, File: src.File, Sheet: src.Sheet, Row: src.HeaderRow,
			Column: col, Value: col, Rule: rule, Severity: sev, Message: msg})
	}
	for c, h := range src.Header {
		m.FieldOf[c] = -1
		if strings.TrimSpace(h) == "" {
			continue // an unnamed column: its cells are checked by no rule, but a value in it is reported by the reader
		}
		f := m.lookup(h, aliases)
		switch {
		case f < 0:
			hp(h, RuleUnknownColumn, Warning, fmt.Sprintf("Column %q is not a %s field and will be ignored; rename it or map it with --map.", h, k.Name))
		case m.Col[f] >= 0:
			hp(h, RuleDuplicateCol, Warning, fmt.Sprintf("Column %q is another column for %s (already given by column %q); it will be ignored.", h, k.Fields[f].Name, src.Header[m.Col[f]]))
		default:
			m.Col[f] = c
			m.FieldOf[c] = f
		}
	}
	for f, fd := range k.Fields {
		if fd.Required && m.Col[f] < 0 {
			fatal = true
			hp(fd.Name, RuleMissingColumn, Error, fmt.Sprintf("The required column %s is missing, so every row of this %s is rejected; add the column (accepted headers: %s).", fd.Name, src.tableWord(), strings.Join(append([]string{fd.Name}, fd.Synonyms...), ", ")))
		}
	}
	return m, problems, fatal
}

// Candidate is a kind's score for a header, for detection and its explanation.
type Candidate struct {
	Kind  *Kind
	Score int // fields matched, plus a bonus when the sheet name fits
}

// DetectKind picks the kind whose fields a header matches best. It returns nil when no kind
// matches enough columns or when two kinds tie; the candidates explain the choice either way.
func DetectKind(src *Source, aliases Aliases, among []*Kind) (*Kind, []Candidate) {
	var cs []Candidate
	for _, k := range among {
		score := matchedFields(k, src, aliases)
		min := k.MinMatch
		if min == 0 {
			min = 3
		}
		if score < min {
			continue
		}
		sheet := strings.ToLower(src.Sheet)
		for _, hint := range k.SheetHints {
			if sheet != "" && strings.Contains(sheet, hint) {
				score += 2
				break
			}
		}
		cs = append(cs, Candidate{k, score})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Score > cs[j].Score })
	if len(cs) == 0 || (len(cs) > 1 && cs[0].Score == cs[1].Score) {
		return nil, cs
	}
	return cs[0].Kind, cs
}

// matchedFields counts the distinct fields of k that src's header names.
func matchedFields(k *Kind, src *Source, aliases Aliases) int {
	m := &Mapping{Kind: k}
	seen := map[int]bool{}
	for _, h := range src.Header {
		if f := m.lookup(h, aliases); f >= 0 {
			seen[f] = true
		}
	}
	return len(seen)
}
