package sandbox

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Fault makes the sandbox misbehave when a seeded user appears in a payload,
// so tests and rehearsals can make one row or one chunk go wrong on purpose.
type Fault string

// Faults a seeded user can carry.
const (
	FaultNone  Fault = ""
	FaultFail  Fault = "fail"  // the user's rows get an error
	FaultWarn  Fault = "warn"  // the user's rows get a "WARNING. ..." message
	FaultCrash Fault = "crash" // any request that names the user is answered 500, every time
	FaultBusy  Fault = "busy"  // the first request that names the user is answered 503 with Retry-After
	FaultDrop  Fault = "drop"  // the first request that names the user is loaded, then the connection is closed with no answer
)

// User is a user the LMS knows.
type User struct {
	ID    string `json:"id"`
	Fault Fault  `json:"fault,omitempty"`
}

// Module is a learning module the LMS knows.
type Module struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"` // one-letter learning type: R Classroom, O Online, M Exam, W Workshop/Seminar, C Program, 1-4
}

// Seed is what the sandbox LMS knows before anything is pushed.
type Seed struct {
	Users      []User   `json:"users"`
	Modules    []Module `json:"modules"`
	Facilities []string `json:"facilities"` // Training Venue codes
	// AnyUser and AnyModule accept IDs that are not in the seed, for
	// rehearsing a real file's format without listing its users.
	AnyUser   bool `json:"any_user,omitempty"`
	AnyModule bool `json:"any_module,omitempty"`
}

//go:embed seed.json
var defaultSeed []byte

// DefaultSeed is the built-in seed (seed.json in this package): a few users,
// modules and facilities, and one user per fault (broken.user fails,
// odd.user warns, crash.user crashes the request, busy.user gets a 503 once,
// drop.user loses the connection once).
func DefaultSeed() Seed {
	s, err := parseSeed(defaultSeed)
	if err != nil {
		panic("sandbox: built-in seed.json: " + err.Error())
	}
	return s
}

// LoadSeed reads a seed file in the format of the built-in seed.json.
func LoadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("sandbox seed: %w", err)
	}
	s, err := parseSeed(data)
	if err != nil {
		return Seed{}, fmt.Errorf("sandbox seed %s: %w", path, err)
	}
	return s, nil
}

func parseSeed(data []byte) (Seed, error) {
	var s Seed
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Seed{}, err
	}
	for i, u := range s.Users {
		switch u.Fault {
		case FaultNone, FaultFail, FaultWarn, FaultCrash, FaultBusy, FaultDrop:
		default:
			return Seed{}, fmt.Errorf("user %d (%s): unknown fault %q: use fail, warn, crash, busy or drop", i+1, u.ID, u.Fault)
		}
		if strings.TrimSpace(u.ID) == "" {
			return Seed{}, fmt.Errorf("user %d has no id", i+1)
		}
	}
	for i, m := range s.Modules {
		if strings.TrimSpace(m.ID) == "" {
			return Seed{}, fmt.Errorf("module %d has no id", i+1)
		}
	}
	return s, nil
}
