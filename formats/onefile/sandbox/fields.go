package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// OneFile user roles (vendor guide "Creating and managing users"; the schema's table).
const (
	RoleLearner         = schema.Learner
	RoleTraineeAssessor = schema.TraineeAssessor
	RoleAssessor        = schema.Assessor
	RoleIQA             = schema.IQA
	RoleEmployer        = schema.Employer
	RoleObserver        = schema.Observer
)

func validRole(r int) bool { return schema.ValidRole(r) }

// placementRoles are the roles that take a PlacementID: learners, and
// employers and observers, for whom it is mandatory.
var placementRoles = func() schema.RoleSet {
	f, _ := schema.UserField("PlacementID")
	return f.Takes
}()

// requiredOfAll are the fields every role must give on create.
var requiredOfAll = func() []string {
	var out []string
	for _, f := range schema.UserFields {
		if f.Requires == schema.AllRoles {
			out = append(out, f.Name)
		}
	}
	return out
}()

// roleList is the roles for messages: "1 learner, 4 trainee assessor, ...".
func roleList() string {
	var b strings.Builder
	for i, r := range schema.Roles {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", r.ID, r.Short)
	}
	return b.String()
}

// seedRoles are the role rules a seed is checked with: every guess allowed, since a seed is the
// state of a OneFile that may take what the guides do not name (Config.Roles governs requests).
var seedRoles, _ = schema.NewRoleRules(func() map[string]bool {
	all := map[string]bool{}
	for _, g := range schema.RoleGuesses {
		all[g.Name] = true
	}
	return all
}())

// roleIDs names a role set for messages: "4 or 5".
func roleIDs(set schema.RoleSet) string {
	var ids []string
	for _, id := range set.IDs() {
		ids = append(ids, strconv.Itoa(id))
	}
	if len(ids) < 2 {
		return strings.Join(ids, "")
	}
	return strings.Join(ids[:len(ids)-1], ", ") + " or " + ids[len(ids)-1]
}

type fieldKind int

const (
	kString fieldKind = fieldKind(schema.Text)
	kInt    fieldKind = fieldKind(schema.Int)
	kDate   fieldKind = fieldKind(schema.Date)
	kBool   fieldKind = fieldKind(schema.Bool)
)

func (k fieldKind) String() string {
	return [...]string{"text", "a whole number", "an ISO-8601 date such as 2026-09-01T00:00:00.000Z", "true or false"}[k]
}

type fieldDef struct {
	name        string
	kind        fieldKind
	learnerOnly bool // only in the learner's list of the vendor guide
}

// userFields are the writable fields of POST /User and POST /User/{id}: the
// schema's table. Learner-only fields are refused on other roles.
var userFields = func() []fieldDef {
	out := make([]fieldDef, len(schema.UserFields))
	for i, f := range schema.UserFields {
		out[i] = fieldDef{name: f.Name, kind: fieldKind(f.Type), learnerOnly: f.LearnerOnly()}
	}
	return out
}()

var userFieldByLower = func() map[string]fieldDef {
	m := make(map[string]fieldDef, len(userFields))
	for _, f := range userFields {
		m[strings.ToLower(f.name)] = f
	}
	return m
}()

// dateLayouts are the ISO-8601 forms accepted for dates. OneFile documents
// "2022-02-23T12:49:33.150Z"; .NET also reads the others.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// DateLayout is how the sandbox writes dates, as OneFile does.
const DateLayout = schema.DateLayout

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// decodeUserFields reads a JSON object of user fields. Property names are
// matched case-insensitively, as ASP.NET model binding does. It returns the
// typed values keyed by canonical field name, or a list of problems.
func decodeUserFields(body []byte) (map[string]any, []string) {
	// json.Unmarshal reads null into a map as no fields at all, which would
	// make "null" an empty update that succeeds: only an object is a body.
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		what := "empty"
		if len(t) > 0 {
			what = fmt.Sprintf("%.20q", t)
		}
		return nil, []string{"the body is not a JSON object of user fields (it is " + what + ")"}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, []string{"the body is not a JSON object: " + err.Error()}
	}
	vals := make(map[string]any, len(raw))
	var errs []string
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	given := make(map[string]string, len(keys)) // canonical name -> the spelling first met
	for _, k := range keys {
		def, ok := userFieldByLower[strings.ToLower(k)]
		if ok {
			// Names match ignoring case, so "Email" and "email" are one field given
			// twice: which value OneFile keeps is not documented, so refuse it.
			if prev, dup := given[def.name]; dup {
				errs = append(errs, fmt.Sprintf("%s is given twice (as %q and %q)", def.name, prev, k))
				continue
			}
			given[def.name] = k
		}
		if !ok {
			if strings.EqualFold(k, "ID") {
				errs = append(errs, "ID cannot be set: OneFile assigns it (to change a user, POST /User/{id})")
			} else {
				errs = append(errs, fmt.Sprintf("unknown field %q", k))
			}
			continue
		}
		v, err := decodeValue(def, raw[k])
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s must be %s", def.name, def.kind))
			continue
		}
		if v == nil {
			continue // JSON null: treated as absent
		}
		vals[def.name] = v
	}
	return vals, errs
}

func decodeValue(def fieldDef, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	switch def.kind {
	case kString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return strings.TrimSpace(s), nil
	case kInt:
		var n int
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, err
		}
		return n, nil
	case kBool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, err
		}
		return b, nil
	case kDate:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		t, ok := parseDate(strings.TrimSpace(s))
		if !ok {
			return nil, fmt.Errorf("bad date")
		}
		return t, nil
	}
	return nil, fmt.Errorf("unknown kind")
}

// jsonValue turns a stored value into what the API answers.
func jsonValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(DateLayout)
	}
	return v
}
