package coursesxml

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// Module is a module of the payload, with its sessions, in canonical form.
type Module struct {
	ID, Title, Type, Subject, Language, Description, Cost, Currency string
	Sessions                                                        []*Session
}

// Session is a session of a module, in canonical form (dates as xs:dateTime).
type Session struct {
	ID, Code, Start, End    string
	Instructors             []string
	Location, Facility      string
	Region, Deadline, Seats string
	Status                  string
}

// entry is what one accepted row gives the payload: its module's columns, and a session when it
// has one. Entries are assembled into modules only at the end, so a row rejected after it was
// accepted (a late cross-row problem, or a warning under --strict) can still be left out.
type entry struct {
	src     *pipeline.Source
	row     int
	module  Module
	session *Session
}

// Builder is the pipeline sink that collects valid rows into courses.xml. Courses files are
// small (a catalogue, not a transcript history), so the document is built in memory.
type Builder struct {
	entries []entry
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder { return &Builder{} }

// Accept implements pipeline.Sink: the row is copied at once (the pipeline reuses it).
// keep copies a cell the builder holds until the document is written: the reader may keep many
// rows' cells in one block, which a kept slice would keep alive whole.
func keep(s string) string { return strings.Clone(s) }

// guess G40 (docs/guesses.md).
func (b *Builder) Accept(r *pipeline.Row) error {
	e := entry{src: r.Rec.Src, row: r.Rec.Row}
	m := &e.module
	m.ID = keep(r.Value(fModuleID))
	m.Title = keep(r.Value(fTitle))
	m.Type, _ = ModuleType.Canonical(r.Value(fType))
	m.Subject = keep(r.Value(fSubject))
	if v := r.Value(fLanguage); v != "" {
		m.Language, _ = pfvalue.Language(v)
	}
	m.Description = keep(r.Value(fDescription))
	m.Cost = keep(strings.TrimSuffix(strings.TrimPrefix(r.Value(fCost), "+"), ".0"))
	if v := r.Value(fCurrency); v != "" {
		m.Currency, _ = pfvalue.Currency(v)
	}
	if isSession(r) {
		s := &Session{ID: keep(r.Value(fSessionID)), Code: keep(r.Value(fSessionCode)), Location: keep(r.Value(fLocation)),
			Facility: keep(r.Value(fFacility)), Region: keep(r.Value(fRegion))}
		start, end, err := sessionTimes(r)
		if err != nil {
			r.Errorf(fStart, pipeline.RuleDate, "The session's dates cannot be read: %v.", err)
			return nil
		}
		s.Start, s.End = start.XSD(), end.XSD()
		if r.Value(fDeadline) != "" {
			d, err := pfvalue.CheckedDate(r, fDeadline)
			if err != nil {
				r.Errorf(fDeadline, pipeline.RuleDate, "EnrollmentDeadline %q %v.", r.Value(fDeadline), err)
				return nil
			}
			if !d.HasTime {
				d.H, d.Mi, d.S = 23, 59, 59 // a deadline day lasts to its end
			}
			s.Deadline = d.XSD()
		}
		if v := r.Value(fInstructors); v != "" {
			list, _ := pfvalue.UserIDs(v)
			s.Instructors = strings.Split(keep(list), "|")
		}
		if v := r.Value(fSeats); v != "" {
			n, _ := check.Integer(v)
			s.Seats = strconv.FormatInt(n, 10)
		}
		s.Status, _ = SessionStatus.Canonical(r.Value(fStatus))
		e.session = s
	}
	b.entries = append(b.entries, e)
	return nil
}

// Modules assembles the accepted rows that are still not rejected into modules, in the order
// modules first appear; a module's fields come from its first row that gives each.
func (b *Builder) Modules(rejected func(src *pipeline.Source, row int) bool) []*Module {
	var out []*Module
	index := map[string]*Module{}
	for i := range b.entries {
		e := &b.entries[i]
		if rejected != nil && rejected(e.src, e.row) {
			continue
		}
		key := strings.ToLower(e.module.ID)
		m := index[key]
		if m == nil {
			m = &Module{ID: e.module.ID}
			index[key] = m
			out = append(out, m)
		}
		fill(&m.Title, e.module.Title)
		fill(&m.Type, e.module.Type)
		fill(&m.Subject, e.module.Subject)
		fill(&m.Language, e.module.Language)
		fill(&m.Description, e.module.Description)
		fill(&m.Cost, e.module.Cost)
		fill(&m.Currency, e.module.Currency)
		if e.session != nil {
			m.Sessions = append(m.Sessions, e.session)
		}
	}
	return out
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// Document lays the modules out as courses.xml (see layout.go).
func Document(modules []*Module) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement(rootElement)
	for _, m := range modules {
		me := root.CreateElement(moduleElement)
		lay(me, moduleLayout, m)
		for _, s := range m.Sessions {
			lay(me.CreateElement(sessionElement), sessionLayout, s)
		}
	}
	doc.Indent(2)
	return doc
}

// lay adds t's elements to parent as layout says.
func lay[T any](parent *etree.Element, layout []element[T], t *T) {
	for _, el := range layout {
		steps := strings.Split(el.path, "/")
		for _, v := range el.values(t) {
			p := parent
			for _, step := range steps[:len(steps)-1] {
				// Consecutive elements of one group share their parent (price/currency and
				// price/amount make one price); a repeated group gets a parent per value.
				var found *etree.Element
				if kids := p.ChildElements(); !el.repeat && len(kids) > 0 && kids[len(kids)-1].Tag == step {
					found = kids[len(kids)-1]
				}
				if found == nil {
					found = p.CreateElement(step)
				}
				p = found
			}
			p.CreateElement(steps[len(steps)-1]).SetText(v)
		}
	}
}

// Written says what WriteTo put in courses.xml.
type Written struct {
	Modules, Sessions int
	Rows              int // input rows the document holds (the rest were rejected)
}

// WriteTo writes courses.xml for the rows still not rejected to w.
func (b *Builder) WriteTo(w io.Writer, rejected func(src *pipeline.Source, row int) bool) (Written, error) {
	ms := b.Modules(rejected)
	n := Written{Modules: len(ms)}
	for _, m := range ms {
		n.Sessions += len(m.Sessions)
	}
	for i := range b.entries {
		if rejected == nil || !rejected(b.entries[i].src, b.entries[i].row) {
			n.Rows++
		}
	}
	if _, err := Document(ms).WriteTo(w); err != nil {
		return Written{}, fmt.Errorf("writing courses.xml: %w", err)
	}
	return n, nil
}
