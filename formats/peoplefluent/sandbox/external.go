package sandbox

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bulkload/bulk/formats/internal/pfvalue"
)

// externalFields are the externalTrainingCsv columns, spelled as the vendor's table.
var externalFields = []string{
	"Action", "RecordID", "UserId", "Title", "CourseType", "StartDate", "EndDate", "Status", "Subject",
	"Grade", "Score", "Duration", "Unit", "Cost", "Currency", "Language", "VendorInfo1", "Comments",
}

var (
	twoDecimals = regexp.MustCompile(`^\d+(\.\d{1,2})?$`)
	currency    = regexp.MustCompile(`^[A-Z]{3}$`)
	language    = regexp.MustCompile(`^[a-z]{2}([_-][A-Z]{2})?$`)
)

// checkExternal checks one externalTrainingCsv row. Called with s.mu held.
func (s *Server) checkExternal(c *rowCheck, cols columns, row []string) {
	action := strings.ToUpper(cols.get(row, "Action"))
	id := cols.get(row, "RecordID")
	exists := id != "" && s.ext[id] != nil
	creates := false
	switch action {
	case "A":
		creates = true
		if exists {
			c.errorf("Record ID %s already exists: use Action U or AU to change it.", id)
		}
	case "AU":
		creates = !exists
	case "U", "D":
		if id == "" {
			c.errorf("RecordID is required for Action %s.", action)
		} else if !exists {
			c.errorf("Record ID %s does not exist.", id)
		}
	case "":
		c.errorf("Action is required (A, D, U or AU).")
	default:
		c.errorf("Action %q is not A, D, U or AU.", action)
	}
	if len([]rune(id)) > 15 {
		c.errorf("RecordID is longer than 15 characters.")
	}
	user := cols.get(row, "UserId")
	switch {
	case user == "" && creates:
		c.errorf("UserId is required to add a record.")
	case len([]rune(user)) > 85:
		c.errorf("UserId is longer than 85 characters.")
	case user != "":
		if u, ok := s.knownUser(user); !ok {
			c.errorf("User ID %s does not exist.", user)
		} else {
			s.userFault(c, u)
		}
	}
	title := cols.get(row, "Title")
	if title == "" && creates {
		c.errorf("Title is required to add a record.")
	}
	if len([]rune(title)) > 255 {
		c.errorf("Title is longer than 255 characters.")
	}
	if action == "D" {
		return // the other fields do not matter for a delete
	}
	if msg := pfvalue.CheckCourseTypeField(cols.get(row, "CourseType")); msg != "" {
		c.errorf("%s", msg) // the exporter's own rule (pfvalue): the two cannot disagree
	}
	var start, end string
	for _, f := range []string{"StartDate", "EndDate"} {
		v := cols.get(row, f)
		if v == "" {
			continue
		}
		t, ok := parseAny(v, isoDateTimes)
		if !ok {
			c.errorf("%s %q is not in the format yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.", f, v)
			continue
		}
		if f == "StartDate" {
			start = t.Format("2006-01-02 15:04:05")
		} else {
			end = t.Format("2006-01-02 15:04:05")
		}
	}
	if start != "" && end != "" && end < start {
		c.warnf("EndDate is before StartDate.")
	}
	if v := cols.get(row, "Status"); v != "" && !oneOf(v, "0", "1", "2", "3", "4", "5") {
		c.errorf("Status %q is not 0-5.", v)
	}
	if v := cols.get(row, "Subject"); len([]rune(v)) > 50 {
		c.errorf("Subject is longer than 50 characters.")
	}
	for _, f := range []string{"Duration", "Cost"} {
		if v := cols.get(row, f); v != "" && !twoDecimals.MatchString(v) {
			c.errorf("%s %q is not a number with at most two decimals.", f, v)
		}
	}
	unit := cols.get(row, "Unit")
	if unit != "" && !oneOf(unit, "I", "H", "D", "W", "M", "Y") {
		c.errorf("Unit %q is not I, H, D, W, M or Y.", unit)
	}
	if cols.get(row, "Duration") != "" && unit == "" {
		c.warnf("Duration has no Unit.")
	}
	if v := cols.get(row, "Currency"); v != "" && !currency.MatchString(v) {
		c.errorf("Currency %q is not a three-letter currency code.", v)
	}
	if v := cols.get(row, "Language"); v != "" && !language.MatchString(v) {
		c.warnf("Language %q does not look like an ISO code such as en or fr_CA.", v)
	}
}

// applyExternal loads a checked row. Called with s.mu held.
func (s *Server) applyExternal(cols columns, row []string) {
	action := strings.ToUpper(cols.get(row, "Action"))
	id := cols.get(row, "RecordID")
	if action == "D" {
		delete(s.ext, id)
		return
	}
	rec := s.ext[id]
	if rec == nil {
		if id == "" {
			s.nextX++
			id = fmt.Sprintf("X%07d", s.nextX)
		}
		rec = map[string]string{"RecordID": id}
		s.ext[id] = rec
	}
	for f := range cols.idx {
		if v := cols.get(row, f); v != "" && f != "RecordID" {
			rec[f] = v
		}
	}
}
