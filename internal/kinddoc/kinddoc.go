// Package kinddoc writes what `bulk kinds` and `bulk rules` print: aligned text tables for a
// terminal and JSON with stable keys for scripts, from the kinds and rules themselves.
package kinddoc

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/pipeline"
)

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// KindsDoc is the JSON of `bulk kinds --format json`. Its keys are stable: scripts read them.
type KindsDoc struct {
	Kinds []KindDoc `json:"kinds"`
}

type KindDoc struct {
	Name       string      `json:"name"`
	Title      string      `json:"title"`
	Target     string      `json:"target"`
	SheetHints []string    `json:"sheet_hints"`
	Columns    []ColumnDoc `json:"columns"`
}

type ColumnDoc struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	// RequiredFor names the rows that need the column when only some do ("learners").
	RequiredFor string   `json:"required_for,omitempty"`
	Type        string   `json:"type"`
	Limits      string   `json:"limits"`     // in words, as the text output shows them
	Synonyms    []string `json:"synonyms"`   // other headers accepted for the column
	MaxLength   int      `json:"max_length"` // characters; 0 = no limit
	Values      []string `json:"values"`     // the values a drop-down offers (all accepted ones when only_values)
	Only        bool     `json:"only_values"`
	Min         *int64   `json:"min"` // whole numbers: the range, when there is one
	Max         *int64   `json:"max"`
	Places      int      `json:"decimal_places"`
	Digits      int      `json:"digits"`
	Unique      bool     `json:"unique"`
	AllowNone   string   `json:"clear_value"` // the literal that clears the value in the target
	Format      string   `json:"format"`      // how to write the value, in a sentence
	Help        string   `json:"help"`
	Example     string   `json:"example"`
}

func KindsJSON(kinds []*pipeline.Kind) KindsDoc {
	d := KindsDoc{Kinds: []KindDoc{}}
	for _, k := range kinds {
		d.Kinds = append(d.Kinds, KindJSON(k))
	}
	return d
}

func KindJSON(k *pipeline.Kind) KindDoc {
	d := KindDoc{Name: k.Name, Title: k.Title, Target: k.Target, SheetHints: jsonList(k.SheetHints), Columns: []ColumnDoc{}}
	for _, fi := range template.Order(k) {
		f := &k.Fields[fi]
		vals, only := template.Values(f)
		c := ColumnDoc{Name: f.Name, Required: f.Required, RequiredFor: f.RequiredFor, Type: f.Type.String(), Limits: template.Limits(f),
			Synonyms: jsonList(f.Synonyms), MaxLength: f.MaxLen, Values: jsonList(vals), Only: only,
			Places: f.Places, Digits: f.Digits, Unique: f.Unique, AllowNone: f.AllowNone,
			Format: template.Describe(f), Help: f.Help, Example: f.Example}
		if f.Type == pipeline.Integer && f.Max > f.Min {
			c.Min, c.Max = &f.Min, &f.Max
		}
		d.Columns = append(d.Columns, c)
	}
	return d
}

func jsonList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteKinds prints the overview: one line per kind, then each kind's columns.
func WriteKinds(w io.Writer, kinds []*pipeline.Kind) error {
	t := &textTable{head: []string{"KIND", "TARGET", "COLUMNS", "WHAT IT HOLDS"}, wrap: []int{0, 0, 0, 60}}
	for _, k := range kinds {
		req := 0
		for _, f := range k.Fields {
			if f.Required {
				req++
			}
		}
		t.add(k.Name, k.Target, fmt.Sprintf("%d (%d required)", len(k.Fields), req), k.Title)
	}
	ew := &stickyWriter{w: w}
	t.write(ew)
	for _, k := range kinds {
		fmt.Fprintf(ew, "\n%s (target %s)\n", k.Name, k.Target)
		columnTable(k).write(ew)
	}
	fmt.Fprintln(ew, "\nRun 'bulk kinds KIND' for what each column means, examples and every allowed value;")
	fmt.Fprintln(ew, "'bulk template KIND' writes a spreadsheet with these columns ready to fill in.")
	return ew.err
}

// WriteKind prints one kind in detail.
func WriteKind(w io.Writer, k *pipeline.Kind) error {
	ew := &stickyWriter{w: w}
	fmt.Fprintf(ew, "%s: %s\n", k.Name, k.Title)
	fmt.Fprintf(ew, "Target: %s\n", k.Target)
	if len(k.SheetHints) > 0 {
		fmt.Fprintf(ew, "Detected from its headers, and from sheet names containing: %s\n", strings.Join(k.SheetHints, ", "))
	}
	fmt.Fprintln(ew)
	columnTable(k).write(ew)
	fmt.Fprintln(ew, "\nColumns:")
	for _, fi := range template.Order(k) {
		f := &k.Fields[fi]
		fmt.Fprintf(ew, "\n  %s (%s)\n", f.Name, template.Need(f))
		says := strings.TrimSpace(asSentence(f.Help) + template.Describe(f))
		for _, line := range wrapText(says, 90) {
			fmt.Fprintf(ew, "    %s\n", line)
		}
		// The values, unless the sentence has just listed them.
		if vals, only := template.Values(f); len(vals) > 0 && f.Type != pipeline.Bool && !strings.Contains(says, strings.Join(vals, ", ")) {
			label := "Usual values"
			if only {
				label = "Values"
			}
			for i, line := range wrapText(strings.Join(vals, ", "), 90-len(label)-2) {
				if i == 0 {
					fmt.Fprintf(ew, "    %s: %s\n", label, line)
				} else {
					fmt.Fprintf(ew, "    %s  %s\n", strings.Repeat(" ", len(label)), line)
				}
			}
		}
		if f.Example != "" {
			fmt.Fprintf(ew, "    Example: %s\n", f.Example)
		}
	}
	fmt.Fprintf(ew, "\nA template with these columns: bulk template %s -o %s.xlsx\n", k.Name, k.Name)
	return ew.err
}

// columnTable is the table of a kind's columns.
func columnTable(k *pipeline.Kind) *textTable {
	t := &textTable{head: []string{"COLUMN", "REQUIRED", "TYPE", "LIMITS", "ALSO ACCEPTED AS"}, wrap: []int{0, 22, 0, 34, 40}, indent: "  "}
	for _, fi := range template.Order(k) {
		f := &k.Fields[fi]
		t.add(f.Name, template.Need(f), f.Type.String(), template.Limits(f), strings.Join(f.Synonyms, ", "))
	}
	return t
}

func asSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s + " "
}

// textTable prints aligned columns for a terminal; cells of a column with a wrap width are wrapped on
// spaces onto continuation lines, so long text keeps the table narrow.
type textTable struct {
	head   []string
	wrap   []int // per column: wrap width in characters, 0 = never wrap
	indent string
	rows   [][]string
}

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *textTable) write(w io.Writer) {
	widths := make([]int, len(t.head))
	lines := func(row []string) [][]string {
		out := make([][]string, len(row))
		for i, c := range row {
			if t.wrap[i] > 0 {
				out[i] = wrapText(c, t.wrap[i])
			} else {
				out[i] = []string{c}
			}
		}
		return out
	}
	all := append([][]string{t.head}, t.rows...)
	for _, row := range all {
		for i, cell := range lines(row) {
			for _, l := range cell {
				widths[i] = max(widths[i], utf8.RuneCountInString(l))
			}
		}
	}
	for _, row := range all {
		cells := lines(row)
		n := 0
		for _, c := range cells {
			n = max(n, len(c))
		}
		for l := 0; l < n; l++ {
			var b strings.Builder
			b.WriteString(t.indent)
			for i, c := range cells {
				s := ""
				if l < len(c) {
					s = c[l]
				}
				if i == len(cells)-1 {
					b.WriteString(s)
					break
				}
				b.WriteString(s)
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s)+2))
			}
			fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		}
	}
}

// wrapText splits s into lines of at most width characters, breaking at spaces (a word longer than
// width gets a line of its own).
func wrapText(s string, width int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var out []string
	line := words[0]
	for _, w := range words[1:] {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			out = append(out, line)
			line = w
			continue
		}
		line += " " + w
	}
	return append(out, line)
}

// stickyWriter keeps the first write error, so printing code needs no error check per line.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (e *stickyWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// RulesDoc is the JSON of `bulk rules --format json`; pipeline.Rule's tags name its keys.
type RulesDoc struct {
	Rules []pipeline.Rule `json:"rules"`
}

func WriteRules(w io.Writer, rules []pipeline.Rule) error {
	t := &textTable{head: []string{"RULE", "MEANING", "FAILS ON, FOR EXAMPLE"}, wrap: []int{0, 60, 36}}
	for _, r := range rules {
		t.add(r.Code, r.Summary, r.Example)
	}
	ew := &stickyWriter{w: w}
	t.write(ew)
	fmt.Fprintln(ew, "\nThe rule column of rejects.csv and rejects.xlsx holds these codes. Errors reject their row;")
	fmt.Fprintln(ew, "warnings (such as unknown-column) do not, unless you run with --strict.")
	return ew.err
}
