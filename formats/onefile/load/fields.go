package load

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// userField is the schema field (formats/onefile/schema) of an API name the loader compares and
// updates: every field of POST /User but Role and OrganisationID, which the loader sets from
// the run and never updates. An input column whose canonical name is one of these is sent
// under it.
func userField(name string) (schema.Field, bool) {
	if name == "Role" || name == "OrganisationID" {
		return schema.Field{}, false
	}
	return schema.UserField(name)
}

// roleName names a role in the loader's messages: "would create assessor".
func roleName(r int) string {
	if role, ok := schema.RoleByID(r); ok {
		return role.Short
	}
	return "user"
}

// same reports whether a value OneFile holds (as decoded from JSON) equals the one we would send.
func same(f schema.Field, have any, want any) bool {
	if have == nil {
		return false
	}
	switch f.Type {
	case schema.Int:
		switch h := have.(type) {
		case float64:
			return int(h) == want.(int)
		case int:
			return h == want.(int)
		case string:
			n, err := strconv.Atoi(h)
			return err == nil && n == want.(int)
		}
		return false
	case schema.Bool:
		h, ok := have.(bool)
		return ok && h == want.(bool)
	case schema.Date:
		h, ok := have.(string)
		w, _ := want.(string)
		return ok && len(h) >= 10 && len(w) >= 10 && h[:10] == w[:10]
	}
	h, ok := have.(string)
	if !ok {
		return false
	}
	if f.Name == "Email" {
		return strings.EqualFold(strings.TrimSpace(h), want.(string))
	}
	return strings.TrimSpace(h) == want.(string)
}

// Change is one field an update changes: OneFile's value and the row's.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// String describes the change with dates in day-month order: "DOB: 14/03/2007 → 15/03/2007".
func (c Change) String() string { return c.describe(false) }

// describe describes the change, dates in the input's day order (month first when mdy).
func (c Change) describe(mdy bool) string {
	return fmt.Sprintf("%s: %s → %s", c.Field, shown(c.Field, c.From, mdy), shown(c.Field, c.To, mdy))
}

// diff returns the fields of want that OneFile's user u does not already hold, in name order,
// and the fields of want whose value on OneFile is unknown (u is a search's summary that does
// not carry them): those are neither sent nor counted as differing.
func diff(u *User, want map[string]any) (changes []Change, unknown []string) {
	for k, v := range want {
		f, ok := userField(k)
		if !ok {
			continue // Role and OrganisationID are not updated
		}
		if !u.known(k) {
			unknown = append(unknown, k)
			continue
		}
		if same(f, u.Fields[k], v) {
			continue
		}
		changes = append(changes, Change{Field: k, From: u.Fields[k], To: v})
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Field < changes[j].Field })
	sort.Strings(unknown)
	return changes, unknown
}

// describe is the changes for people: "FirstName: "Amy" → "Amira"; DOB: (empty) → 14/03/2007",
// dates in the input's day order (month first when mdy).
func describe(cs []Change, mdy bool) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.describe(mdy)
	}
	return out
}

// fieldNames lists the changes' fields: "FirstName, DOB".
func fieldNames(cs []Change) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Field
	}
	return strings.Join(names, ", ")
}

// shown is a value of field for people. A date field's value, which OneFile and the API
// payload hold as 2028-08-31T00:00:00.000Z, is shown as a data officer typed it: 31/08/2028
// (08/31/2028 when mdy), with the time only when there is one.
func shown(field string, v any, mdy bool) string {
	switch x := v.(type) {
	case nil:
		return "(empty)"
	case string:
		if x == "" {
			return "(empty)"
		}
		if f, ok := userField(field); ok && f.Type == schema.Date {
			if d, ok := dayOrder(x, mdy); ok {
				return d
			}
		}
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// isoLayouts are the forms a date takes in OneFile's answers and in the payload bulk sends.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// dayOrder writes an ISO date (or date and time) as 31/08/2028 (dmy) or 08/31/2028 (mdy),
// with " 09:30" when it has a time of day; ok is false for anything else.
func dayOrder(s string, mdy bool) (string, bool) {
	for _, layout := range isoLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		out := t.Format("02/01/2006")
		if mdy {
			out = t.Format("01/02/2006")
		}
		if h, m, sec := t.Clock(); h != 0 || m != 0 || sec != 0 {
			out += t.Format(" 15:04")
		}
		return out, true
	}
	return "", false
}
