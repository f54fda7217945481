package sandbox

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// loadCourses checks a courses payload. The vendor's courses.xsd is not
// public, so the sandbox checks only what any layout built on the vendor's
// module/session vocabulary must satisfy: well-formed XML, at least one
// module element, each with an id (attribute or child element) and a title,
// and sessions whose start is before their end. Its answer lists one line per
// problem ("Error: ...") or says "No Error Occurred".
func (s *Server) loadCourses(body []byte) string {
	type session struct {
		ID    string `xml:"id,attr"`
		IDEl  string `xml:"id"`
		Start string `xml:"start"`
		End   string `xml:"end"`
	}
	type module struct {
		ID       string    `xml:"id,attr"`
		IDEl     string    `xml:"id"`
		Title    string    `xml:"title"`
		Sessions []session `xml:"session"`
	}
	var problems []string
	var modules []module
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return fmt.Sprintf("Error: the courses file is not well-formed XML at line %d: %v\r\n", line, err)
		}
		if se, ok := tok.(xml.StartElement); ok && strings.EqualFold(se.Name.Local, "module") {
			var m module
			if err := dec.DecodeElement(&m, &se); err != nil {
				return fmt.Sprintf("Error: the courses file is not well-formed XML: %v\r\n", err)
			}
			modules = append(modules, m)
		}
	}
	if len(modules) == 0 {
		return "Error: the courses file has no module element.\r\n"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range modules {
		id := strings.TrimSpace(m.ID + m.IDEl)
		name := id
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			problems = append(problems, fmt.Sprintf("Error: module %s has no id.", name))
		}
		if strings.TrimSpace(m.Title) == "" {
			problems = append(problems, fmt.Sprintf("Error: module %s has no title.", name))
		}
		for j, se := range m.Sessions {
			sid := strings.TrimSpace(se.ID + se.IDEl)
			if sid == "" {
				sid = fmt.Sprintf("#%d", j+1)
			}
			st, err1 := parseXSDateTime(se.Start)
			en, err2 := parseXSDateTime(se.End)
			switch {
			case se.Start != "" && err1 != nil:
				problems = append(problems, fmt.Sprintf("Error: module %s session %s: start %q is not an xs:dateTime.", name, sid, se.Start))
			case se.End != "" && err2 != nil:
				problems = append(problems, fmt.Sprintf("Error: module %s session %s: end %q is not an xs:dateTime.", name, sid, se.End))
			case se.Start != "" && se.End != "" && !st.Before(en):
				problems = append(problems, fmt.Sprintf("Error: module %s session %s: start is not before end.", name, sid))
			}
		}
		if id != "" {
			s.crs[strings.ToLower(id)] = true
		}
	}
	if len(problems) > 0 {
		s.stats.Rejected["courses"]++
		return strings.Join(problems, "\r\n") + "\r\n"
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
