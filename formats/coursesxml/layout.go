package coursesxml

// The element layout of courses.xml, in this one place.
//
// The vendor's courses.xsd is not public. The names below are those of the vendor's read-API
// module schema (module.xsd of the NetDimensions client, "for reference only"), in its order:
//
//	<courses>
//	  <module>
//	    <id/> <title/> <type/> <subject/> <language/> <description/>
//	    <price><currency/><amount/></price>
//	    <session>
//	      <id/> <code/> <start/> <end/> <region/>
//	      <instructor><id/></instructor>...
//	      <location/> <facility><trainingCenter><name/></trainingCenter></facility>
//	      <deadline/> <seats/> <status/>
//	    </session>...
//	  </module>...
//	</courses>
//
// An element whose value is blank is left out (the LMS leaves the value as it is). Dates are
// xs:dateTime without a zone (2026-09-05T09:00:00). If the LMS's own courses.xsd differs, change
// the tables here — nothing else names an element — and check with `bulk export --xsd`.
// testdata/courses.xsd describes this layout as a schema.
//
// guess G39 (docs/guesses.md): no reference document names "defaultSessionPrice", so none is
// written: a module's Cost and Currency are its <price>, and sessions get no <price> (bulk's
// courses kind has no per-session price).

const (
	rootElement    = "courses"
	moduleElement  = "module"
	sessionElement = "session" // inside module, after the module's own elements
)

// element is one element of the layout: its path below the parent ("price/amount") and its
// values. A value-less element is omitted; repeat makes one element, path and all, per value.
type element[T any] struct {
	path   string
	values func(*T) []string
	repeat bool
}

func one[T any](f func(*T) string) func(*T) []string {
	return func(t *T) []string {
		if v := f(t); v != "" {
			return []string{v}
		}
		return nil
	}
}

// guess G38 (docs/guesses.md).
var moduleLayout = []element[Module]{
	{path: "id", values: one(func(m *Module) string { return m.ID })},
	{path: "title", values: one(func(m *Module) string { return m.Title })},
	{path: "type", values: one(func(m *Module) string { return m.Type })},
	{path: "subject", values: one(func(m *Module) string { return m.Subject })},
	{path: "language", values: one(func(m *Module) string { return m.Language })},
	{path: "description", values: one(func(m *Module) string { return m.Description })},
	{path: "price/currency", values: one(func(m *Module) string { return m.Currency })},
	{path: "price/amount", values: one(func(m *Module) string { return m.Cost })},
}

var sessionLayout = []element[Session]{
	{path: "id", values: one(func(s *Session) string { return s.ID })},
	{path: "code", values: one(func(s *Session) string { return s.Code })},
	{path: "start", values: one(func(s *Session) string { return s.Start })},
	{path: "end", values: one(func(s *Session) string { return s.End })},
	{path: "region", values: one(func(s *Session) string { return s.Region })},
	{path: "instructor/id", values: func(s *Session) []string { return s.Instructors }, repeat: true},
	{path: "location", values: one(func(s *Session) string { return s.Location })},
	{path: "facility/trainingCenter/name", values: one(func(s *Session) string { return s.Facility })},
	{path: "deadline", values: one(func(s *Session) string { return s.Deadline })},
	{path: "seats", values: one(func(s *Session) string { return s.Seats })},
	{path: "status", values: one(func(s *Session) string { return s.Status })},
}
