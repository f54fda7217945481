package load

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/schema"
)

// sampleFields is a value of every POST /User field in the form the loader holds it: the kind's
// conversion (int64 IDs, dates as the API's timestamp text, CreatedOn with its time), with the
// loader's own int OrganisationID and references.
func sampleFields() map[string]any {
	m := map[string]any{}
	for i, f := range schema.UserFields {
		switch f.Type {
		case schema.Text:
			m[f.Name] = "v" + f.Name
		case schema.Int:
			m[f.Name] = int64(100 + i)
		case schema.Date:
			m[f.Name] = time.Date(2000+i, time.Month(1+i%12), 1+i, 0, 0, 0, 0, time.UTC).Format(schema.DateLayout)
		case schema.Bool:
			m[f.Name] = false // false must still be sent
		}
	}
	m["OrganisationID"] = 5740
	m["Role"] = int64(1)
	m["CreatedOn"] = "2026-09-01T23:30:00.000Z"
	return m
}

// TestUserFieldsOf: the typed conversion fills every field, and gives exactly what the JSON
// round trip it replaces gave.
func TestUserFieldsOf(t *testing.T) {
	in := sampleFields()
	got, err := userFieldsOf(in)
	if err != nil {
		t.Fatal(err)
	}
	var old api.UserFields
	b, _ := json.Marshal(in)
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, old) {
		t.Errorf("typed conversion\n%+v\nJSON round trip\n%+v", got, old)
	}
	v := reflect.ValueOf(got)
	for _, f := range schema.UserFields {
		if v.FieldByName(f.Name).IsZero() {
			t.Errorf("%s was not set", f.Name)
		}
	}
	if !got.CreatedOn.Equal(time.Date(2026, time.September, 1, 23, 30, 0, 0, time.UTC)) || got.Role != api.RoleLearner || got.SupportFunding == nil || *got.SupportFunding {
		t.Errorf("CreatedOn %v, Role %v, SupportFunding %v", got.CreatedOn, got.Role, got.SupportFunding)
	}
}

func TestTypedValueRefuses(t *testing.T) {
	for _, tt := range []struct {
		fields map[string]any
		want   string
	}{
		{map[string]any{"Surname": "x"}, `"Surname" is not a OneFile user field`},
		{map[string]any{"ClassroomID": "101"}, "ClassroomID 101 (string) is not int"},
		{map[string]any{"ClassroomID": 1.5}, "ClassroomID 1.5 (float64) is not int"},
		{map[string]any{"DOB": "14/03/2007"}, "DOB 14/03/2007 (string) is not date"},
		{map[string]any{"SupportFunding": "yes"}, "is not bool"},
		{map[string]any{"FirstName": 3}, "is not text"},
	} {
		_, err := userFieldsOf(tt.fields)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.fields, err, tt.want)
		}
		// Refused before any call: the adapter needs no client for it.
		err = apiClient{}.UpdateUser(t.Context(), 1, tt.fields)
		var ref *Refused
		if !errors.As(err, &ref) || !strings.Contains(ref.Message, tt.want) {
			t.Errorf("update %v: %v, want a refusal with %q", tt.fields, err, tt.want)
		}
	}
}

// TestUpdateValuesTyped: an update carries the client's types, which its own check accepts.
func TestUpdateValuesTyped(t *testing.T) {
	up := api.UserUpdate{}
	for k, v := range sampleFields() {
		f, _ := schema.UserField(k)
		tv, err := typedValue(f, v)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		up[k] = tv
	}
	if err := up.Validate(); err != nil {
		t.Error(err)
	}
	dob, err := time.Parse(schema.DateLayout, sampleFields()["DOB"].(string))
	if err != nil || up["DOB"] != any(api.DateOf(dob)) || up["ClassroomID"] != any(int(sampleFields()["ClassroomID"].(int64))) {
		t.Errorf("DOB = %#v, ClassroomID = %#v", up["DOB"], up["ClassroomID"])
	}
}
