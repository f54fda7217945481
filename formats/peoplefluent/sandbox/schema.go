package sandbox

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulkload/bulk/formats/internal/pfvalue"
)

// The strict schema the sandbox checks courses bodies against, until a customer's own
// courses.xsd is known. The vendor's API reference names only "courses.xsd", which is not
// public; the vocabulary and element order below are those of the vendor's read-API module
// schema (module.xsd of the NetDimensions client, shared/reference/peoplefluent-contenthandler.md):
//
//	module:  id, title, type, subject, language, description, objective*, duration,
//	         price(currency, amount), archived, attribute*(code, value), session*, prerequisites
//	session: id, code, start, end, region, instructor*(id, family, given), location,
//	         facility(trainingCenter(name)), open, deadline, seats, price, status
//
// Guesses (docs/guesses.md G38, G39, G40), each marked "guess" below: the <courses> root holding modules (the document's own
// name for the endpoint), which elements are required (a module's id and title), the content of
// <prerequisites> (not described: any), of a session's <price> (taken to be the module's), and
// the types of <open>, <archived> (xs:boolean), <seats> (a whole number) and <duration> (any
// text). Elements are in no namespace and carry no attributes (module.xsd uses elements only).

// schemaEl is one element of the schema: a sequence of child elements in this order, or a
// simple value when kids is nil.
type schemaEl struct {
	name     string
	many     bool // may repeat (maxOccurs unbounded)
	required bool
	any      bool // any content (prerequisites: not described)
	kids     []schemaEl
	value    func(string) string // checks a simple value: "" or what is wrong
}

var (
	// moduleTypes are the module.xsd module type values.
	moduleTypes = []string{"audioCassette", "book", "cd", "classroom", "externalCertification", "externalCourse",
		"justInTimeLearning", "learningProgram", "onlineModule", "video", "virtualClassroom", "workshopSeminar",
		"coaching", "exam", "internship", "onTheJobTraining", "selfTrainingPaper", "selfTrainingVideo",
		"specialInterestGroup", "task"}
	// sessionStatuses are the module.xsd session status values.
	sessionStatuses = []string{"active", "pending", "completed", "closed", "cancelled", "invitation", "prompt", "required"}
)

func enumValue(allowed []string) func(string) string {
	return func(v string) string {
		for _, a := range allowed {
			if v == a {
				return ""
			}
		}
		return fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func dateTimeValue(v string) string {
	if _, err := parseXSDateTime(v); err != nil {
		return fmt.Sprintf("%q is not an xs:dateTime (2026-09-05T09:00:00)", v)
	}
	return ""
}

func booleanValue(v string) string { // guess G40: xs:boolean
	switch v {
	case "true", "false", "1", "0":
		return ""
	}
	return fmt.Sprintf("%q is not true or false", v)
}

func countValue(v string) string { // guess G40: xs:nonNegativeInteger
	if n, err := strconv.Atoi(v); err != nil || n < 0 {
		return fmt.Sprintf("%q is not a whole number of 0 or more", v)
	}
	return ""
}

// amountValue: a price of 0 or more with at most two decimals, as the CSV loaders bound Cost
// (guess G40: the module schema gives no type).
func amountValue(v string) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || strings.ContainsAny(v, "eEinfINFxX_") {
		return fmt.Sprintf("%q is not an amount", v)
	}
	if f < 0 {
		return fmt.Sprintf("%q is negative", v)
	}
	if _, dec, ok := strings.Cut(v, "."); ok && len(strings.TrimRight(dec, "0")) > 2 {
		return fmt.Sprintf("%q has more than two decimals", v)
	}
	return ""
}

// maxLength bounds a value in characters: module IDs 85 and titles 255, as the CSV course
// loader bounds ModuleID and ModuleTitle (guess G40: the module schema gives no lengths).
func maxLength(n int) func(string) string {
	return func(v string) string {
		if l := utf8.RuneCountInString(v); l > n {
			return fmt.Sprintf("is %d characters long; at most %d are taken", l, n)
		}
		return ""
	}
}

// userIDValue: an instructor is named by one user ID, written lower-case as the LMS stores it
// and the exporter writes it (pfvalue).
func userIDValue(v string) string {
	if strings.Contains(v, "|") {
		return fmt.Sprintf("%q names more than one user: give one <instructor> each", v)
	}
	id, msg := pfvalue.UserIDs(v)
	if msg != "" {
		return fmt.Sprintf("%q %s", v, msg)
	}
	if id != v {
		return fmt.Sprintf("%q is not written as the LMS stores it (%s)", v, id)
	}
	return ""
}

// languageValue: the module schema names <language> without a type; the loaders' fields take an
// ISO code (en, fr_CA, es_ES), which the exporter writes in pfvalue's canonical form (guess G40).
func languageValue(v string) string {
	code, msg := pfvalue.Language(v)
	if msg != "" {
		return fmt.Sprintf("%q %s", v, msg)
	}
	if code != v {
		return fmt.Sprintf("%q is not written as the code is (%s)", v, code)
	}
	return ""
}

func price() schemaEl {
	return schemaEl{name: "price", kids: []schemaEl{
		{name: "currency", value: func(v string) string {
			if len(v) != 3 || strings.ToUpper(v) != v {
				return fmt.Sprintf("%q is not a three-letter currency code", v)
			}
			return ""
		}},
		{name: "amount", value: amountValue},
	}}
}

var coursesSchema = schemaEl{name: "courses", kids: []schemaEl{ // guess G38: the root
	{name: "module", many: true, required: true, kids: []schemaEl{
		{name: "id", required: true, value: maxLength(85)}, // guess G40: required
		{name: "title", required: true, value: maxLength(255)},
		{name: "type", value: enumValue(moduleTypes)},
		{name: "subject"},
		{name: "language", value: languageValue},
		{name: "description"},
		{name: "objective", many: true},
		{name: "duration"},
		price(),
		{name: "archived", value: booleanValue},
		{name: "attribute", many: true, kids: []schemaEl{{name: "code"}, {name: "value"}}},
		{name: "session", many: true, kids: []schemaEl{
			{name: "id", value: maxLength(85)},
			{name: "code"},
			{name: "start", value: dateTimeValue},
			{name: "end", value: dateTimeValue},
			{name: "region"},
			{name: "instructor", many: true, kids: []schemaEl{{name: "id", value: userIDValue}, {name: "family"}, {name: "given"}}},
			{name: "location"},
			{name: "facility", kids: []schemaEl{{name: "trainingCenter", kids: []schemaEl{{name: "name"}}}}},
			{name: "open", value: booleanValue},
			{name: "deadline", value: dateTimeValue},
			{name: "seats", value: countValue},
			price(), // guess G39: as the module's
			{name: "status", value: enumValue(sessionStatuses)},
		}},
		{name: "prerequisites", any: true}, // guess G40: content not described
	}},
}}

// node is an element of a received document.
type node struct {
	name  xml.Name
	attrs []xml.Attr
	text  strings.Builder
	kids  []*node
	line  int
}

// maxSchemaProblems bounds the problems reported for one document.
const maxSchemaProblems = 50

// parseCourses reads a courses body into a tree. A DOCTYPE is refused: the LMS's parser may
// resolve external entities (XXE), and no courses document needs one.
func parseCourses(body []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var root *node
	var stack []*node
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("the courses file is not well-formed XML at line %d: %v", line, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if d := strings.TrimSpace(string(t)); len(d) >= 7 && strings.EqualFold(d[:7], "DOCTYPE") {
				return nil, fmt.Errorf("the courses file has a DOCTYPE (line %d): DOCTYPEs and entities are not accepted; remove it", line)
			}
		case xml.StartElement:
			n := &node{name: t.Name, attrs: t.Attr, line: line}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("the courses file has a second root element <%s> at line %d", t.Name.Local, line)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("the courses file has no element")
	}
	return root, nil
}

// checkSchema reports where n departs from el: unknown elements, elements out of order or
// repeated, required ones missing, attributes, text where elements belong, and bad values.
func checkSchema(n *node, el *schemaEl, where string, problems *[]string) {
	add := func(format string, a ...any) {
		if len(*problems) < maxSchemaProblems {
			*problems = append(*problems, fmt.Sprintf("Error: line %d: %s: ", n.line, where)+fmt.Sprintf(format, a...))
		}
	}
	if n.name.Space != "" {
		add("<%s> is in namespace %q; the schema's elements are in none", n.name.Local, n.name.Space)
	}
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		add("attribute %s=%q is not in the schema: give it as the element <%s>", a.Name.Local, a.Value, a.Name.Local)
	}
	if el.any {
		return
	}
	text := strings.TrimSpace(n.text.String())
	if el.kids == nil {
		if len(n.kids) > 0 {
			add("<%s> takes a value, not the element <%s>", el.name, n.kids[0].name.Local)
		}
		if text != "" && el.value != nil {
			if msg := el.value(text); msg != "" {
				add("<%s> %s", el.name, msg)
			}
		}
		return
	}
	if text != "" {
		add("<%s> holds text %q; it takes only elements (%s)", el.name, truncate(text, 40), names(el.kids))
	}
	pos, seen := 0, make([]int, len(el.kids))
	for _, k := range n.kids {
		i := indexOf(el.kids, k.name.Local)
		switch {
		case i < 0:
			add("<%s> is not an element of <%s> (it takes %s)", k.name.Local, el.name, names(el.kids))
			continue
		case i < pos:
			add("<%s> comes after <%s>; the schema's order is %s", k.name.Local, el.kids[pos].name, names(el.kids))
		case seen[i] > 0 && !el.kids[i].many:
			add("<%s> appears more than once", k.name.Local)
		}
		if i > pos {
			pos = i
		}
		seen[i]++
		sub := where + " <" + k.name.Local + ">"
		if k.name.Local == "module" || k.name.Local == "session" {
			if id := childText(k, "id"); id != "" {
				sub = k.name.Local + " " + id
			} else if code := childText(k, "code"); code != "" {
				sub = where + " " + k.name.Local + " " + code
			}
		}
		checkSchema(k, &el.kids[i], sub, problems)
	}
	for i, k := range el.kids {
		if k.required && seen[i] == 0 {
			add("<%s> is missing", k.name)
		}
	}
}

func indexOf(els []schemaEl, name string) int {
	for i := range els {
		if els[i].name == name {
			return i
		}
	}
	return -1
}

func names(els []schemaEl) string {
	var b []string
	for _, e := range els {
		b = append(b, e.name)
	}
	return strings.Join(b, ", ")
}

func childText(n *node, name string) string {
	for _, k := range n.kids {
		if k.name.Local == name {
			return strings.TrimSpace(k.text.String())
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}
