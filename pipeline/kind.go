package pipeline

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// Type is how a field's value is checked before the kind's own row rules run.
type Type uint8

const (
	Text    Type = iota // any text; MaxLen applies
	Integer             // a whole number (Min/Max apply when set)
	Decimal             // a number with at most Places decimals
	Date                // a date (or date and time) in any accepted input format
	Email
	ULN  // Unique Learner Number, with check digit
	NINO // National Insurance number
	Enum // one of Field.Enum, matched ignoring case
	Bool
)

var typeNames = [...]string{"text", "integer", "decimal", "date", "email", "uln", "nino", "enum", "boolean"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// Field is one canonical column of a kind.
type Field struct {
	Name     string   // canonical header, spelled as the target's documentation spells it
	Synonyms []string // other headers users write for it (matched like Name: case, spaces, _ and - ignored)
	Required bool     // the column must be present and every row must have a value
	// RequiredFor names the rows that need a value when only some do ("learners"): templates
	// and 'bulk kinds' say "required for learners" rather than "optional". The kind's row rules
	// check it; Required stays false, since other rows need no column.
	RequiredFor string
	Type        Type
	MaxLen      int      // in characters; 0 = no limit
	Enum        []string // canonical spellings, for Type Enum
	// Spellings are other ways people write an Enum value (lower case → the canonical one:
	// "male" → "M"): accepted, sent as the canonical one, with a warning.
	Spellings map[string]string
	Choices   []string // values a template offers in a drop-down when the field is not an Enum ("1 Learner", ...)
	Places    int      // decimals allowed, for Type Decimal
	Min, Max  int64    // for Type Integer, when Max > Min
	Digits    int      // for identifiers with a known length: a numeric cell with fewer digits lost its leading zeros
	Unique    bool     // a repeat of the value on a later row is a duplicate
	AllowNone string   // a literal (e.g. "NONE") that clears the value in the target and is accepted as is
	Help      string   // one line: what the column means, its format
	Example   string
}

// Kind is what a sheet holds: its fields, its row rules and its cross-row rules. A kind is data
// plus a few functions; adding a rule touches only the kind's own package.
type Kind struct {
	Name   string // e.g. "onefile-users"
	Title  string // e.g. "OneFile users (learners and staff)"
	Target string // e.g. "onefile", "peoplefluent"
	Fields []Field
	// SheetHints are words in a sheet name that suggest this kind ("learners", "staff").
	SheetHints []string
	// TemplateSheets, when set, lays the kind's template out on several data sheets, each with
	// the columns its rows use (onefile-users: Staff and Learners); without, one sheet named
	// after the kind has every column.
	TemplateSheets []TemplateSheet
	// RowRules run on every row after the field checks, concurrently with other rows: they must
	// not keep state. Put rules across rows in Cross.
	RowRules []func(r *Row)
	// NewCross, when set, returns the cross-row checker for one run. Kinds of one target that refer
	// to each other (users and assignments) share state through the run's State.
	NewCross func(st *RunState) Cross
	// MinMatch is how many of the kind's fields a header must match before detection picks it.
	MinMatch int
	// Key returns a row's natural key: what identifies the same person or record from one file
	// to the next (MISID, else Email, for users). Nightly diffing keys row hashes on it. When
	// nil, the first Unique field with a value is the key.
	Key func(r *Row) string

	index map[string]int // normalized name or synonym → field index
	once  sync.Once
}

// Cross checks rules across rows. Check is called for each row in input order, from one goroutine.
// Finish is called once after the last row of the run; it may report problems on earlier rows
// (references that never resolved) through rep.
type Cross interface {
	Check(r *Row)
	Finish(rep func(Problem))
}

// FieldIndex returns the index of the field with canonical name, or -1. Kinds call it once at
// init to get constants for their rules.
func (k *Kind) FieldIndex(name string) int {
	for i := range k.Fields {
		if k.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// MustField is FieldIndex that panics on an unknown name: a programming error in a kind.
func (k *Kind) MustField(name string) int {
	i := k.FieldIndex(name)
	if i < 0 {
		panic(fmt.Sprintf("kind %s has no field %q", k.Name, name))
	}
	return i
}

func (k *Kind) buildIndex() {
	k.once.Do(func() {
		k.index = make(map[string]int)
		for i, f := range k.Fields {
			for _, n := range append([]string{f.Name}, f.Synonyms...) {
				key := NormalizeHeader(n)
				if j, dup := k.index[key]; dup && j != i {
					panic(fmt.Sprintf("kind %s: header %q names fields %s and %s", k.Name, n, k.Fields[j].Name, f.Name))
				}
				k.index[key] = i
			}
		}
	})
}

// Lookup returns the field a header names, or -1.
func (k *Kind) Lookup(header string) int {
	k.buildIndex()
	if i, ok := k.index[NormalizeHeader(header)]; ok {
		return i
	}
	return -1
}

// FieldNamedIn returns the field that a target's message names first (by its name or a
// synonym, in any case and spacing: "User ID jsmith does not exist", "ENDDATE is before
// STARTDATE"), or -1. Quoted text is a value, not a name, and is passed over.
func (k *Kind) FieldNamedIn(msg string) int {
	var b strings.Builder
	for i, part := range strings.Split(msg, `"`) {
		if i%2 == 0 { // outside quotes
			b.WriteString(part)
			b.WriteByte(' ')
		}
	}
	words := strings.FieldsFunc(b.String(), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	const longest = 6 // words in the longest name ("Use Settings As Of Date")
	for i := range words {
		for j := min(len(words), i+longest); j > i; j-- {
			if f := k.Lookup(strings.Join(words[i:j], "")); f >= 0 {
				return f
			}
		}
	}
	return -1
}

// NaturalKey returns r's natural key (see Kind.Key), or "" when the row has none.
func NaturalKey(r *Row) string {
	k := r.Map.Kind
	if k.Key != nil {
		return k.Key(r)
	}
	for f := range k.Fields {
		if k.Fields[f].Unique {
			if v := r.Value(f); v != "" {
				return k.Fields[f].Name + "=" + strings.ToLower(v)
			}
		}
	}
	return ""
}

// TemplateSheet is one data sheet of a kind's template: its name (a SheetHints word, so it is
// detected as the kind when read back) and the fields whose columns it has.
type TemplateSheet struct {
	Name   string
	Fields []string
}
