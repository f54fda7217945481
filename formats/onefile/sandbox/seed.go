package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Seed is the reference data a sandbox starts with. Its YAML (or JSON: JSON
// is read by the same YAML parser) keys are the OneFile API's own field names,
// for example:
//
//	Customer: {ID: 2070, Name: Northfield Training Group}
//	Organisations:
//	  - ID: 5740
//	    Name: Northfield Training - Apprenticeships
//	    Classrooms: [{ID: 101, Name: Business Administration L3}]
//	    Placements: [{ID: 201, Name: Acme Logistics Ltd, MISID: EMP-ACME}]
//	    Standards:
//	      - ID: 301
//	        Title: Business Administrator (Level 3)
//	        Units: [{ID: KS_COMM1, Title: Communication}]
//	    Users:
//	      - {ID: 1001, Role: 5, FirstName: Priya, LastName: Shah,
//	         Email: priya.shah@northfield.example, MISID: STF-001}
//
// Unknown keys are an error (so a misspelt key does not silently vanish).
// IDs must be unique within their kind; a user's references (ClassroomID,
// PlacementID, DefaultAssessorID, DefaultEmployerID) must name seeded records
// of its own organisation, and seeded users obey the same required-field
// rules as POST /User.
type Seed struct {
	Customer      SeedCustomer       `yaml:"Customer" json:"Customer"`
	Organisations []SeedOrganisation `yaml:"Organisations" json:"Organisations"`
}

// SeedCustomer is the answer of GET /Customer.
type SeedCustomer struct {
	ID   int    `yaml:"ID" json:"ID"`
	Name string `yaml:"Name" json:"Name"`
}

// SeedOrganisation is one organisation (centre) and everything in it.
type SeedOrganisation struct {
	ID                       int            `yaml:"ID" json:"ID"`
	Name                     string         `yaml:"Name" json:"Name"`
	KeychainEmailSuppression bool           `yaml:"KeychainEmailSuppression" json:"KeychainEmailSuppression"`
	Classrooms               []SeedNamed    `yaml:"Classrooms" json:"Classrooms"`
	Placements               []SeedNamed    `yaml:"Placements" json:"Placements"`
	Standards                []SeedStandard `yaml:"Standards" json:"Standards"`
	// FrameworkTemplates are the organisation's framework templates (aims.go).
	FrameworkTemplates []SeedTemplate `yaml:"FrameworkTemplates" json:"FrameworkTemplates"`
	Users              []SeedUser     `yaml:"Users" json:"Users"`
}

// SeedNamed is a classroom or a placement (an employer's workplace).
type SeedNamed struct {
	ID    int    `yaml:"ID" json:"ID"`
	Name  string `yaml:"Name" json:"Name"`
	MISID string `yaml:"MISID" json:"MISID"`
}

// SeedTemplate is a framework template (learners are put on one beside their
// standard; guide 4 of OneFile's series).
type SeedTemplate struct {
	ID    int    `yaml:"ID" json:"ID"`
	Title string `yaml:"Title" json:"Title"`
}

// SeedStandard is a standard (learning aim) with its units. Standard IDs are
// integers.
type SeedStandard struct {
	ID    int        `yaml:"ID" json:"ID"`
	Title string     `yaml:"Title" json:"Title"`
	Units []SeedUnit `yaml:"Units" json:"Units"`
}

// SeedUnit is a unit of a standard. Unit IDs are strings (e.g. "KS_COMM1").
type SeedUnit struct {
	ID       string `yaml:"ID" json:"ID"`
	Title    string `yaml:"Title" json:"Title"`
	NDAQCode string `yaml:"NDAQCode" json:"NDAQCode"`
	Display  string `yaml:"Display" json:"Display"`
}

// SeedUser is a user that exists before the run.
type SeedUser struct {
	ID                int    `yaml:"ID" json:"ID"`
	Role              int    `yaml:"Role" json:"Role"`
	FirstName         string `yaml:"FirstName" json:"FirstName"`
	LastName          string `yaml:"LastName" json:"LastName"`
	Email             string `yaml:"Email" json:"Email"`
	MISID             string `yaml:"MISID" json:"MISID"`
	ClassroomID       int    `yaml:"ClassroomID" json:"ClassroomID"`
	PlacementID       int    `yaml:"PlacementID" json:"PlacementID"`
	DefaultAssessorID int    `yaml:"DefaultAssessorID" json:"DefaultAssessorID"`
	DefaultEmployerID int    `yaml:"DefaultEmployerID" json:"DefaultEmployerID"`
}

// LoadSeed reads a seed in YAML or JSON and checks it. Errors name the
// record at fault.
func LoadSeed(r io.Reader) (*Seed, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading seed: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Seed
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("seed is empty")
		}
		return nil, fmt.Errorf("seed is not valid YAML/JSON or has an unknown key: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks IDs are unique and references resolve; New calls it too.
func (s *Seed) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if s.Customer.ID <= 0 {
		bad("Customer.ID must be a positive number")
	}
	if len(s.Organisations) == 0 {
		bad("at least one organisation is needed")
	}
	orgs := map[int]bool{}
	classrooms := map[int]int{} // ID -> organisation
	placements := map[int]int{}
	standards := map[int]bool{}
	units := map[string]bool{}
	templates := map[int]bool{}
	users := map[int]SeedUser{}
	userOrg := map[int]int{}
	for _, o := range s.Organisations {
		if o.ID <= 0 {
			bad("organisation %q: ID must be a positive number", o.Name)
		}
		if orgs[o.ID] {
			bad("organisation ID %d appears twice", o.ID)
		}
		orgs[o.ID] = true
		for _, c := range o.Classrooms {
			if c.ID <= 0 || strings.TrimSpace(c.Name) == "" {
				bad("organisation %d: classroom %d %q needs a positive ID and a Name", o.ID, c.ID, c.Name)
			}
			if _, dup := classrooms[c.ID]; dup {
				bad("classroom ID %d appears twice", c.ID)
			}
			classrooms[c.ID] = o.ID
		}
		for _, p := range o.Placements {
			if p.ID <= 0 || strings.TrimSpace(p.Name) == "" {
				bad("organisation %d: placement %d %q needs a positive ID and a Name", o.ID, p.ID, p.Name)
			}
			if _, dup := placements[p.ID]; dup {
				bad("placement ID %d appears twice", p.ID)
			}
			placements[p.ID] = o.ID
		}
		for _, st := range o.Standards {
			if st.ID <= 0 || strings.TrimSpace(st.Title) == "" {
				bad("organisation %d: standard %d %q needs a positive ID and a Title", o.ID, st.ID, st.Title)
			}
			if standards[st.ID] {
				bad("standard ID %d appears twice", st.ID)
			}
			standards[st.ID] = true
			for _, u := range st.Units {
				if strings.TrimSpace(u.ID) == "" || strings.TrimSpace(u.Title) == "" {
					bad("standard %d: unit %q %q needs an ID and a Title", st.ID, u.ID, u.Title)
				}
				if units[u.ID] {
					bad("unit ID %q appears twice", u.ID)
				}
				units[u.ID] = true
			}
		}
		for _, t := range o.FrameworkTemplates {
			if t.ID <= 0 || strings.TrimSpace(t.Title) == "" {
				bad("organisation %d: framework template %d %q needs a positive ID and a Title", o.ID, t.ID, t.Title)
			}
			if templates[t.ID] {
				bad("framework template ID %d appears twice", t.ID)
			}
			templates[t.ID] = true
		}
		for _, u := range o.Users {
			if u.ID <= 0 {
				bad("organisation %d: user %s %s needs a positive ID", o.ID, u.FirstName, u.LastName)
			}
			if _, dup := users[u.ID]; dup {
				bad("user ID %d appears twice", u.ID)
			}
			users[u.ID] = u
			userOrg[u.ID] = o.ID
		}
	}
	for id, u := range users {
		org := userOrg[id]
		where := fmt.Sprintf("user %d (%s %s)", id, u.FirstName, u.LastName)
		if !validRole(u.Role) {
			bad("%s: Role %d is not one of %s", where, u.Role, schema.RoleIDs(", "))
			continue
		}
		if u.FirstName == "" || u.LastName == "" || u.Email == "" {
			bad("%s: FirstName, LastName and Email are required", where)
		}
		needPlacement := placementRoles.Has(u.Role)
		if needPlacement && u.PlacementID == 0 {
			bad("%s: PlacementID is required for role %d", where, u.Role)
		}
		if !needPlacement && u.PlacementID != 0 {
			bad("%s: PlacementID is for learners, employers and observers only, not role %d", where, u.Role)
		}
		if u.PlacementID != 0 && placements[u.PlacementID] != org {
			bad("%s: PlacementID %d is not a placement of organisation %d", where, u.PlacementID, org)
		}
		if u.Role != RoleLearner {
			if u.ClassroomID != 0 || u.DefaultAssessorID != 0 || u.DefaultEmployerID != 0 {
				bad("%s: ClassroomID, DefaultAssessorID and DefaultEmployerID are for learners only", where)
			}
			continue
		}
		if u.ClassroomID == 0 || u.DefaultAssessorID == 0 {
			bad("%s: learners need ClassroomID and DefaultAssessorID", where)
		}
		if u.ClassroomID != 0 && classrooms[u.ClassroomID] != org {
			bad("%s: ClassroomID %d is not a classroom of organisation %d", where, u.ClassroomID, org)
		}
		if a, ok := users[u.DefaultAssessorID]; u.DefaultAssessorID != 0 && (!ok || !seedRoles.DefaultAssessor(a.Role) || userOrg[a.ID] != org) {
			bad("%s: DefaultAssessorID %d is not an assessor of organisation %d", where, u.DefaultAssessorID, org)
		}
		if e, ok := users[u.DefaultEmployerID]; u.DefaultEmployerID != 0 && (!ok || e.Role != RoleEmployer || userOrg[e.ID] != org) {
			bad("%s: DefaultEmployerID %d is not an employer of organisation %d", where, u.DefaultEmployerID, org)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("seed has %d problem(s): %s", len(errs), strings.Join(errs, "; "))
	}
	return nil
}

// DefaultSeed is the built-in reference data: one customer, a main
// organisation with four classrooms, four placements, two standards with
// units, existing assessors, an IQA, a trainee assessor, an employer and one
// learner, and a small second organisation (so that cross-organisation
// references can be tested).
func DefaultSeed() *Seed {
	return &Seed{
		Customer: SeedCustomer{ID: 2070, Name: "Northfield Training Group"},
		Organisations: []SeedOrganisation{
			{
				ID:   5740,
				Name: "Northfield Training - Apprenticeships",
				Classrooms: []SeedNamed{
					{ID: 101, Name: "Business Administration L3", MISID: "CL-BA3"},
					{ID: 102, Name: "Customer Service L2", MISID: "CL-CS2"},
					{ID: 103, Name: "Digital Marketer L3", MISID: "CL-DM3"},
					{ID: 104, Name: "Team Leader L3", MISID: "CL-TL3"},
				},
				Placements: []SeedNamed{
					{ID: 201, Name: "Acme Logistics Ltd", MISID: "EMP-ACME"},
					{ID: 202, Name: "Brightside Dental Care", MISID: "EMP-BRIGHT"},
					{ID: 203, Name: "Cobalt Software Ltd", MISID: "EMP-COBALT"},
					{ID: 204, Name: "Riverside Borough Council", MISID: "EMP-RIVER"},
				},
				Standards: []SeedStandard{
					{ID: 301, Title: "Business Administrator (Level 3)", Units: []SeedUnit{
						{ID: "KS_COMM1", Title: "Communication", NDAQCode: "60303986", Display: "K1 Communication"},
						{ID: "KS_ORG1", Title: "Organisational knowledge", NDAQCode: "60303986", Display: "K2 Organisational knowledge"},
						{ID: "KS_PM1", Title: "Project management", NDAQCode: "60303986", Display: "K3 Project management"},
					}},
					{ID: 302, Title: "Customer Service Practitioner (Level 2)", Units: []SeedUnit{
						{ID: "CS_KNOW1", Title: "Knowing your customers", NDAQCode: "60301527", Display: "K1 Knowing your customers"},
						{ID: "CS_SKL1", Title: "Customer service skills", NDAQCode: "60301527", Display: "S1 Customer service skills"},
					}},
				},
				FrameworkTemplates: []SeedTemplate{
					{ID: 401, Title: "Business Administrator L3 - standard delivery"},
					{ID: 402, Title: "Customer Service L2 - standard delivery"},
				},
				Users: []SeedUser{
					{ID: 1001, Role: RoleAssessor, FirstName: "Priya", LastName: "Shah", Email: "priya.shah@northfield.example", MISID: "STF-001"},
					{ID: 1002, Role: RoleAssessor, FirstName: "Tom", LastName: "Evans", Email: "tom.evans@northfield.example", MISID: "STF-002"},
					{ID: 1003, Role: RoleIQA, FirstName: "Grace", LastName: "Okafor", Email: "grace.okafor@northfield.example", MISID: "STF-003"},
					{ID: 1004, Role: RoleTraineeAssessor, FirstName: "Ben", LastName: "Hughes", Email: "ben.hughes@northfield.example", MISID: "STF-004"},
					{ID: 1005, Role: RoleEmployer, FirstName: "Dana", LastName: "Price", Email: "dana.price@acme.example", MISID: "EMPC-001", PlacementID: 201},
					{ID: 1010, Role: RoleLearner, FirstName: "Sam", LastName: "Carter", Email: "sam.carter@learner.example", MISID: "L-0001",
						ClassroomID: 101, PlacementID: 201, DefaultAssessorID: 1001, DefaultEmployerID: 1005},
				},
			},
			{
				ID:         5741,
				Name:       "Northfield Training - Adult Skills",
				Classrooms: []SeedNamed{{ID: 151, Name: "Functional Skills Maths", MISID: "CL-FSM"}},
				Placements: []SeedNamed{{ID: 251, Name: "Self-funded learners", MISID: "EMP-SELF"}},
				Users: []SeedUser{
					{ID: 1501, Role: RoleAssessor, FirstName: "Hannah", LastName: "Reid", Email: "hannah.reid@northfield.example", MISID: "STF-101"},
				},
			},
		},
	}
}
