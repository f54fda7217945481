package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// loadCourses checks a courses payload against the strict schema (schema.go: the vocabulary
// and element order of the vendor's module schema) and, beyond it, that each session starts
// before it ends. Its answer lists one line per problem ("Error: ...") or says
// "No Error Occurred"; a document with any problem loads nothing.
func (s *Server) loadCourses(body []byte) string {
	root, err := parseCourses(body)
	if err != nil {
		s.mu.Lock()
		s.stats.Rejected["courses"]++
		s.mu.Unlock()
		return "Error: " + err.Error() + ".\r\n"
	}
	var problems []string
	if s.CheckCourses != nil {
		for _, p := range s.CheckCourses(body) {
			problems = append(problems, "Error: "+p)
		}
	} else if root.name.Local != coursesSchema.name {
		problems = append(problems, fmt.Sprintf("Error: line %d: the root element is <%s>; the schema's is <%s>.", root.line, root.name.Local, coursesSchema.name))
	} else {
		checkSchema(root, &coursesSchema, "courses", &problems)
	}
	var ids []string
	for _, m := range root.kids {
		if m.name.Local != "module" {
			continue
		}
		id := childText(m, "id")
		ids = append(ids, id)
		for _, se := range m.kids {
			if se.name.Local != "session" {
				continue
			}
			st, err1 := parseXSDateTime(childText(se, "start"))
			en, err2 := parseXSDateTime(childText(se, "end"))
			if err1 == nil && err2 == nil && !st.Before(en) {
				sid := childText(se, "code")
				if sid == "" {
					sid = childText(se, "id")
				}
				problems = append(problems, fmt.Sprintf("Error: module %s session %s: start is not before end.", id, sid))
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(problems) > 0 {
		s.stats.Rejected["courses"]++
		return strings.Join(problems, "\r\n") + "\r\n"
	}
	for _, id := range ids {
		s.crs[strings.ToLower(id)] = true
	}
	s.stats.Loaded["courses"]++
	return "No Error Occurred\r\n"
}

func parseXSDateTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, l := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an xs:dateTime")
}
