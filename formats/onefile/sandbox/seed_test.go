package sandbox

import (
	"strings"
	"testing"
)

const yamlSeed = `
Customer: {ID: 9, Name: Test Customer}
Organisations:
  - ID: 77
    Name: Test Centre
    Classrooms: [{ID: 1, Name: Room A}]
    Placements: [{ID: 2, Name: Shop, MISID: P2}]
    Standards:
      - ID: 3
        Title: Retail
        Units: [{ID: U_ONE, Title: Unit one}]
    Users:
      - {ID: 10, Role: 5, FirstName: Ann, LastName: Lee, Email: ann@x.example, MISID: A1}
      - {ID: 11, Role: 1, FirstName: Bo, LastName: Kim, Email: bo@x.example,
         ClassroomID: 1, PlacementID: 2, DefaultAssessorID: 10}
`

const jsonSeed = `{"Customer": {"ID": 9, "Name": "J"}, "Organisations": [{"ID": 77, "Name": "C",
 "Users": [{"ID": 10, "Role": 10, "FirstName": "A", "LastName": "B", "Email": "a@b.example"}]}]}`

func TestLoadSeed(t *testing.T) {
	for _, tt := range []struct {
		name, in, err string
	}{
		{"yaml", yamlSeed, ""},
		{"json", jsonSeed, ""},
		{"empty", "", "seed is empty"},
		{"unknown key", strings.Replace(yamlSeed, "Classrooms:", "Rooms:", 1), "unknown key"},
		{"duplicate user", strings.Replace(yamlSeed, "ID: 11,", "ID: 10,", 1), "user ID 10 appears twice"},
		{"learner's assessor missing", strings.Replace(yamlSeed, "DefaultAssessorID: 10", "DefaultAssessorID: 12", 1), "DefaultAssessorID 12 is not an assessor"},
		{"learner without classroom", strings.Replace(yamlSeed, "ClassroomID: 1, ", "", 1), "learners need ClassroomID"},
		{"placement on an assessor", strings.Replace(yamlSeed, "MISID: A1}", "MISID: A1, PlacementID: 2}", 1), "PlacementID is for learners, employers and observers only"},
		{"bad role", strings.Replace(yamlSeed, "Role: 5", "Role: 6", 1), "Role 6 is not one of"},
		{"unit without ID", strings.Replace(yamlSeed, "ID: U_ONE, ", "", 1), "needs an ID and a Title"},
		{"no customer", strings.Replace(yamlSeed, "ID: 9,", "", 1), "Customer.ID must be"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSeed(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Customer.ID != 9 || s.Organisations[0].ID != 77 {
				t.Errorf("seed %+v", s)
			}
		})
	}
}

func TestSeedServed(t *testing.T) {
	if err := DefaultSeed().Validate(); err != nil {
		t.Fatalf("default seed: %v", err)
	}
	seed, err := LoadSeed(strings.NewReader(yamlSeed))
	if err != nil {
		t.Fatal(err)
	}
	c := startSandbox(t, Config{Seed: seed}).login()
	var cust struct{ ID int }
	c.call("GET", "/Customer", nil).json(t, &cust)
	var units []struct{ ID string }
	c.call("POST", "/Unit/Search", obj{"StandardID": 3}).json(t, &units)
	var learner map[string]any
	c.call("GET", "/User/11", nil).json(t, &learner)
	if cust.ID != 9 || len(units) != 1 || units[0].ID != "U_ONE" || learner["DefaultAssessorID"] != float64(10) {
		t.Errorf("customer %d, units %v, learner %v", cust.ID, units, learner)
	}
	// New users get IDs clear of the seeded ones.
	id := c.createOK(obj{"OrganisationID": 77, "Role": 5, "FirstName": "N", "LastName": "U", "Email": "n@u.example"})
	if id != 100001 {
		t.Errorf("first new ID %d", id)
	}
}
