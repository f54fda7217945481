package load

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/aims"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// Item is one input row as the loader keeps it: where it came from, its kind, and for a valid
// row its values as the kind converts them for the API (onefile.UserOf, onefile.AssignmentOf),
// which copy what they keep: the pipeline reuses rows.
type Item struct {
	Seq  int // position among all rows read, in input order
	Src  *pipeline.Source
	Row  int
	Kind *pipeline.Kind
	// Map ties the row's table's columns to its kind's fields (shared by the table's rows), so
	// a problem found at load time names the column the data officer sees; nil when unknown.
	Map *pipeline.Mapping
	// Rejected is set for rows validation rejected; Why is the first reason.
	Rejected bool
	Why      string
	// Unchanged is set for valid rows the run reported pipeline.Skipped: its Keep filter held
	// them back (a nightly run's diffing: the row is as it was when last sent). A user row keeps
	// its values: the loader skips it when its user is on OneFile and creates it when not (the
	// state's memory is not the target's: a refreshed beta, an archived user). Other rows end
	// skipped.
	Unchanged bool
	// NotData is set for a row the reader found is not a row of data (a totals line): it is
	// passed over with its reason in Why, and never taken for a row to send or keep.
	NotData bool
	User    *onefile.User       // a valid onefile-users row
	Assign  *onefile.Assignment // a valid onefile-assignments row
	Aim     *aims.Aim           // a valid onefile-standards row
}

// column is the input's header of the kind's field named field: the header as the table has
// it (a synonym or a --map header), else the field's name when the table has no such column,
// "" for no field.
func (it *Item) column(field string) string {
	if field == "" || it.Map == nil || it.Map.Kind == nil {
		return field
	}
	f := it.Map.Kind.Lookup(field)
	if f < 0 || f >= len(it.Map.Col) {
		return field
	}
	if c := it.Map.Col[f]; c >= 0 && it.Src != nil && c < len(it.Src.Header) {
		return it.Src.Header[c]
	}
	return field
}

// value is the row's value of the kind's field named field, for a problem found at load time
// (the reject report shows the cell as validation's problems do). It is read back from the
// converted values the item keeps anyway, so no row holds a second copy of its cells: names,
// MISIDs, e-mails and other text are as the input has them (trimmed); IDs as the whole number
// the cell gave. "" for no field, or one whose converted value no longer says how it was
// written (a date, a code).
func (it *Item) value(field string) string {
	if field == "" {
		return ""
	}
	if it.Map != nil && it.Map.Kind != nil {
		if f := it.Map.Kind.Lookup(field); f >= 0 {
			field = it.Map.Kind.Fields[f].Name // a synonym names its field
		}
	}
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	ref := func(prefix string, r onefile.UserRef) (string, bool) {
		switch field {
		case prefix + "ID":
			return id(r.ID), true
		case prefix + "MISID":
			return r.MISID, true
		case prefix + "Email":
			return r.Email, true
		}
		return "", false
	}
	named := func(prefix, name string, r onefile.NamedRef) (string, bool) {
		switch field {
		case prefix + "ID":
			return id(r.ID), true
		case prefix + name:
			return r.Name, true
		}
		return "", false
	}
	switch {
	case it.User != nil:
		u := it.User
		switch field {
		case "MISID":
			return u.MISID
		case "Email":
			return u.Email
		case "OrganisationID":
			return id(u.OrganisationID)
		case "OneFileID":
			return id(u.ID)
		}
		for _, try := range []func() (string, bool){
			func() (string, bool) { return ref("DefaultAssessor", u.DefaultAssessor) },
			func() (string, bool) { return ref("DefaultEmployer", u.DefaultEmployer) },
			func() (string, bool) { return named("Classroom", "Name", u.Classroom) },
			func() (string, bool) { return named("Placement", "Name", u.Placement) },
		} {
			if v, ok := try(); ok {
				return v
			}
		}
		// Text goes to the API as typed; a date is rewritten and NINO normalised.
		if s, ok := u.Fields[field].(string); ok && field != "NINO" {
			if f, ok := userField(field); !ok || f.Type != schema.Date {
				return s
			}
		}
	case it.Assign != nil:
		a := it.Assign
		for _, try := range []func() (string, bool){
			func() (string, bool) { return ref("Learner", a.Learner) },
			func() (string, bool) { return ref("User", a.User) },
			func() (string, bool) { return named("Standard", "Title", a.Standard) },
		} {
			if v, ok := try(); ok {
				return v
			}
		}
		switch field {
		case "UnitID":
			return a.Unit.ID
		case "UnitTitle":
			return a.Unit.Title
		}
	case it.Aim != nil:
		if v, ok := ref("Learner", it.Aim.Learner); ok {
			return v
		}
		if v, ok := named("Standard", "Title", it.Aim.Standard); ok {
			return v
		}
		if field == "FrameworkTemplateID" {
			return id(it.Aim.FrameworkTemplateID)
		}
	}
	return ""
}

// fieldIn finds the field a message of OneFile's is about: the first of the kind's fields it
// names as a word whose column the row's table has; for an ID field the table gives by name,
// MISID or e-mail instead (PlacementID given as PlacementName), that column. "" when none.
func (it *Item) fieldIn(msg string) string {
	if it.Map == nil || it.Map.Kind == nil {
		return ""
	}
	words := strings.FieldsFunc(msg, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	has := func(name string) bool {
		f := it.Map.Kind.Lookup(name)
		return f >= 0 && f < len(it.Map.Col) && it.Map.Col[f] >= 0 && it.Map.Kind.Fields[f].Name == name
	}
	for _, w := range words {
		if has(w) {
			return w
		}
		if base, ok := strings.CutSuffix(w, "ID"); ok && base != "" && it.Map.Kind.Lookup(w) >= 0 {
			for _, alt := range []string{"Name", "MISID", "Email", "Title"} {
				if has(base + alt) {
					return base + alt
				}
			}
		}
	}
	return ""
}

// reject makes it a rejected row, for why (else the reason it has, else a general one): none of
// its values go on, and a skipped row is skipped no longer, so each row has one outcome.
func (it *Item) reject(why string) {
	it.Rejected, it.Unchanged, it.User, it.Assign, it.Aim = true, false, nil, nil, nil
	if why != "" {
		it.Why = why
	}
	if it.Why == "" {
		it.Why = "rejected by validation (see rejects.csv)"
	}
}

func (it *Item) email() string {
	if it.User != nil {
		return it.User.Email
	}
	return ""
}

// Collector keeps every row of a validation run for the loader. It must be both the run's Sink
// (it copies the values of valid rows: the pipeline reuses rows) and told about every row and
// late problem beside the report (a Reporter), so results.csv can list all rows in input order.
type Collector struct {
	// Strict: a warning found after its row was reported (Problem) rejects it, as the
	// report does under --strict. Warnings on the row itself were the pipeline's to decide.
	Strict  bool
	items   []*Item
	pending *Item
	where   map[rowKey]*Item
}

type rowKey struct {
	src *pipeline.Source
	row int
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{where: map[rowKey]*Item{}} }

// Accept implements pipeline.Sink: it converts and keeps the row's values. A row the kind
// cannot convert (it should not happen to a valid row) is rejected with the reason.
func (c *Collector) Accept(r *pipeline.Row) error {
	it := &Item{Src: r.Rec.Src, Row: r.Rec.Row, Kind: r.Kind(), Map: r.Map}
	var err error
	switch r.Kind() {
	case onefile.Users:
		var u onefile.User
		u, err = onefile.UserOf(r)
		it.User = &u
	case onefile.Assignments:
		var a onefile.Assignment
		a, err = onefile.AssignmentOf(r)
		it.Assign = &a
	case aims.Kind:
		var a aims.Aim
		a, err = aims.AimOf(r)
		it.Aim = &a
	}
	if err != nil {
		r.Errorf(-1, RuleReference, "%v", err)
	}
	c.pending = it
	return nil
}

// Table implements pipeline.Reporter.
func (c *Collector) Table(*pipeline.Source, *pipeline.Kind, []pipeline.Problem) {}

// Row implements pipeline.Reporter: it is called for every row, after Accept for accepted ones.
func (c *Collector) Row(r *pipeline.Row, out pipeline.Outcome) {
	it := c.pending
	c.pending = nil
	switch out {
	case pipeline.Accepted:
		if it == nil || it.Src != r.Rec.Src || it.Row != r.Rec.Row {
			panic("load.Collector: a row was accepted that never reached Accept; the Collector must be the run's Sink")
		}
	case pipeline.Skipped:
		if r.NotData {
			it = &Item{Src: r.Rec.Src, Row: r.Rec.Row, Kind: r.Kind(), Map: r.Map, NotData: true}
			break
		}
		it = &Item{Src: r.Rec.Src, Row: r.Rec.Row, Kind: r.Kind(), Map: r.Map, Unchanged: true}
		if r.Kind() == onefile.Users {
			// Kept so the loader can create the user should OneFile no longer hold them; a
			// value the kind cannot convert leaves the row skipped, as it was.
			if u, err := onefile.UserOf(r); err == nil {
				it.User = &u
			}
		}
	default:
		// Accept may have seen the row (a value the kind could not convert): nothing of what it
		// kept goes on.
		it = &Item{Src: r.Rec.Src, Row: r.Rec.Row, Kind: r.Kind()}
	}
	it.Why = firstError(r.Problems) // a strict run rejects on a warning: its message is the reason
	if out == pipeline.Rejected {
		it.reject("")
	}
	it.Seq = len(c.items)
	c.items = append(c.items, it)
	c.where[rowKey{it.Src, it.Row}] = it
}

// Problem implements pipeline.Reporter: a problem found after its row was reported (a
// reference that never resolved) rejects the row it names.
func (c *Collector) Problem(p pipeline.Problem) {
	if p.Severity != pipeline.Error && !c.Strict || p.Source == nil {
		return
	}
	if it := c.where[rowKey{p.Source, p.Row}]; it != nil && !it.Rejected {
		it.reject(p.Message)
	}
}

// Items returns every row in input order, each with the outcome the pipeline gave it (--strict
// included) and any late problem. Call it after the pipeline has finished.
func (c *Collector) Items() []*Item { return c.items }

func firstError(ps []pipeline.Problem) string {
	for _, p := range ps {
		if p.Severity == pipeline.Error {
			return p.Message
		}
	}
	if len(ps) > 0 {
		return ps[0].Message
	}
	return ""
}
