package api

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// TestUserFieldsMatchSchema: the typed struct the client sends and the schema's table name the
// same fields (the struct in the order requests have always been sent), with the Go type of each JSON type, and every field is left
// out of a request when unset. A field added to one and not the other fails here.
func TestUserFieldsMatchSchema(t *testing.T) {
	want := map[schema.Type][]reflect.Type{
		schema.Text: {reflect.TypeFor[string]()},
		schema.Int:  {reflect.TypeFor[int](), reflect.TypeFor[Role](), reflect.TypeFor[*int]()}, // *int: 0 is sent
		schema.Date: {reflect.TypeFor[Date](), reflect.TypeFor[Timestamp]()},
		schema.Bool: {reflect.TypeFor[*bool]()}, // a pointer: false is a value to send
	}
	st := reflect.TypeFor[UserFields]()
	if st.NumField() != len(schema.UserFields) {
		t.Errorf("UserFields has %d fields, the schema %d", st.NumField(), len(schema.UserFields))
	}
	for i := range st.NumField() {
		sf := st.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name != sf.Name {
			t.Errorf("struct field %s is sent as %q", sf.Name, name)
		}
		if opts != "omitempty" && opts != "omitzero" {
			t.Errorf("%s is sent even when unset (json options %q)", name, opts)
		}
		f, ok := schema.UserField(name)
		if !ok {
			t.Errorf("UserFields.%s is not in the schema", name)
			continue
		}
		found := false
		for _, gt := range want[f.Type] {
			found = found || sf.Type == gt
		}
		if !found {
			t.Errorf("UserFields.%s is %s; the schema's type %s wants one of %v", name, sf.Type, f.Type, want[f.Type])
		}
	}
	for _, f := range schema.UserFields {
		if _, ok := fieldIndex[f.Name]; !ok {
			t.Errorf("schema field %s is not in UserFields", f.Name)
		}
	}
}

// TestRoleNamesFromSchema: the client names every role of the schema, and no other.
func TestRoleNamesFromSchema(t *testing.T) {
	for _, r := range schema.Roles {
		if !Role(r.ID).Valid() || Role(r.ID).String() != r.Short {
			t.Errorf("Role(%d) = %q, valid %v", r.ID, Role(r.ID), Role(r.ID).Valid())
		}
	}
	if Role(2).Valid() || Role(2).String() != "role 2" {
		t.Errorf("Role(2) = %q, valid %v", Role(2), Role(2).Valid())
	}
	if RoleAssessor.String() != "assessor" || RoleIQA.String() != "IQA" {
		t.Errorf("names %q %q", RoleAssessor, RoleIQA)
	}
}
