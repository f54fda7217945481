package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
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

// HeaderRowKey is the reserved key of a header map that gives the row holding the header
// (`header_row: 4`), as --header-row does, for a site whose exports have a title above it.
const HeaderRowKey = "header_row"

// headerRowAlias is where Aliases keeps header_row: no header normalizes to it (NormalizeHeader
// drops spaces).
const headerRowAlias = " header_row"

// HeaderRow is the map's header_row, or 0 when it gives none.
func (a Aliases) HeaderRow() int {
	n, _ := strconv.Atoi(a[headerRowAlias])
	return n
}

// MaxMapSize bounds a --map file. A header map names a table's columns, a few dozen lines; at
// most 16,384 columns fit in a spreadsheet, so 1 MiB (some 30,000 lines) is more than any map
// needs, and a bigger file is something else given by mistake. The bound keeps the YAML tree,
// which takes some 800 bytes a line while it is read, under 30 MB.
const MaxMapSize = 1 << 20

// FieldCheck says whether a header map's target names a field, and when it does not, the field
// that was probably meant ("" when none is near). The map is checked line by line with it, so a
// typing mistake (`Learner Surname: LastNme`) is an error naming its line, not a column that is
// silently left unmapped.
type FieldCheck func(field string) (ok bool, nearest string)

// MaxHeaderRow is the last row a header may be said to be on: a spreadsheet's last row.
const MaxHeaderRow = 1 << 20

// LoadAliases reads a --map file: YAML whose top level maps "header in your file" to the canonical
// field name, e.g.
//
//	Learner Forename: FirstName
//	Tutor email: DefaultAssessorEmail
//
// and may give the row that holds the header with the reserved key header_row (`header_row: 4`).
// It returns ctx's error as soon as ctx is done, even while the file is still being read (a slow
// network drive, a pipe): the reading goroutine is left to end with the process.
func LoadAliases(ctx context.Context, path string, check ...FieldCheck) (Aliases, error) {
	type result struct {
		a   Aliases
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			done <- result{nil, fmt.Errorf("reading the header map: %w", err)}
			return
		}
		defer f.Close()
		a, err := ParseAliases(f, path, check...)
		done <- result{a, err}
	}()
	select {
	case r := <-done:
		return r.a, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("reading the header map %s: %w", path, ctx.Err())
	}
}

// ParseAliases parses the YAML of a header map; name is used in error messages. Its time is
// linear in the map's size: the map is walked as a YAML tree and duplicates are found with a Go
// map (decoding into a map[string]string compared each key with every key before it, and a
// million-line map took hours).
func ParseAliases(r io.Reader, name string, check ...FieldCheck) (Aliases, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMapSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the header map %s: %w", name, err)
	}
	if len(data) > MaxMapSize {
		return nil, fmt.Errorf("%s is larger than %d MiB, too large for a header map (a map has a line per column, like `Learner Forename: FirstName`); check that --map names the right file", name, MaxMapSize>>20)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s is not a header map: %v (expected lines like `Learner Forename: FirstName`)", name, err)
	}
	a := Aliases{}
	if len(doc.Content) == 0 {
		return a, nil // an empty file (or only comments): no aliases
	}
	m := doc.Content[0]
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		return a, nil
	}
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s is not a header map: line %d is not `header: field` (expected lines like `Learner Forename: FirstName`)", name, m.Line)
	}
	type seen struct {
		header string
		line   int
	}
	first := make(map[string]seen, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: line %d is not `header: field` (expected lines like `Learner Forename: FirstName`)", name, k.Line)
		}
		field := strings.TrimSpace(v.Value)
		if strings.EqualFold(strings.TrimSpace(k.Value), HeaderRowKey) {
			n, err := strconv.Atoi(field)
			if err != nil || n < 1 || n > MaxHeaderRow {
				return nil, fmt.Errorf("%s: line %d: %s must be the number of the row that holds your column names, from 1 to %d (for example `%s: 4`), not %q", name, k.Line, HeaderRowKey, MaxHeaderRow, HeaderRowKey, v.Value)
			}
			a[headerRowAlias] = strconv.Itoa(n)
			continue
		}
		if field == "" || v.Tag == "!!null" {
			return nil, fmt.Errorf("%s: header %q maps to nothing", name, k.Value)
		}
		for _, c := range check {
			if ok, nearest := c(field); !ok {
				hint := "run 'bulk kinds KIND' for the fields"
				if nearest != "" {
					hint = "did you mean " + nearest + "?"
				}
				return nil, fmt.Errorf("%s: line %d: %q maps to %s, which is not a field (%s)", name, v.Line, k.Value, field, hint)
			}
		}
		norm := NormalizeHeader(k.Value)
		if s, dup := first[norm]; dup {
			if s.header == k.Value {
				return nil, fmt.Errorf("%s: header %q is given twice, on lines %d and %d; keep one", name, k.Value, s.line, k.Line)
			}
			if a[norm] != field {
				return nil, fmt.Errorf("%s: headers %q (line %d) and %q (line %d) are the same header to bulk, which ignores case, spaces, '_' and '-', but map to %s and %s; keep one", name, s.header, s.line, k.Value, k.Line, a[norm], field)
			}
			continue
		}
		first[norm] = seen{k.Value, k.Line}
		a[norm] = field
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
	return countFields(k, src.Header, aliases)
}

// HeaderScore says how much a row looks like a header: the most fields of any one of kinds that
// its cells name. A reader asks it of a table's first rows to find the header below a title.
func HeaderScore(cells []string, aliases Aliases, kinds []*Kind) int {
	best := 0
	for _, k := range kinds {
		best = max(best, countFields(k, cells, aliases))
	}
	return best
}

func countFields(k *Kind, header []string, aliases Aliases) int {
	m := &Mapping{Kind: k}
	seen := map[int]bool{}
	for _, h := range header {
		if f := m.lookup(h, aliases); f >= 0 {
			seen[f] = true
		}
	}
	return len(seen)
}
