package sandbox

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

type stats struct {
	total        int
	calls        map[string]int
	statuses     map[string]map[int]int
	rateLimited  int
	burst429     int
	unauthorized int
	faults500    int
	dropped      int
	stalled      int
	first, last  time.Time
}

func newStats() stats {
	return stats{calls: map[string]int{}, statuses: map[string]map[int]int{}}
}

func (s *Server) count(f func(*stats)) {
	s.mu.Lock()
	f(&s.st)
	s.mu.Unlock()
}

// finish records a call's endpoint and final status.
func (s *Server) finish(ep string, status int) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	st.total++
	st.calls[ep]++
	m := st.statuses[ep]
	if m == nil {
		m = map[int]int{}
		st.statuses[ep] = m
	}
	m[status]++
	if st.first.IsZero() {
		st.first = now
	}
	st.last = now
}

// User is a user as the sandbox holds it.
type User struct {
	ID                int
	OrganisationID    int
	Role              int
	FirstName         string
	LastName          string
	Email             string
	MISID             string
	ClassroomID       int
	PlacementID       int
	DefaultAssessorID int
	DefaultEmployerID int
	Username          string
	// Fields has every stored field as GET /User/{id} answers it (dates as
	// text), for tests that check optional fields.
	Fields   map[string]any
	Created  time.Time
	Modified time.Time
}

// Assignment is one user assigned to a learner (POST /User/{id}/Assign).
type Assignment struct {
	AssigneeID int
	LearnerID  int
	Level      int
	StandardID int
	UnitID     string
}

// Snapshot is a copy of what the sandbox holds and how it was called.
type Snapshot struct {
	Users       []User // by ID
	UsersByRole map[int]int
	Assignments []Assignment // in the order they were made
	// LearningAims, OnTemplates and Archived count what aims.go's endpoints made.
	LearningAims, OnTemplates, Archived int
	// Calls counts every request by endpoint, e.g. "POST /User",
	// "POST /User/Search/{page}/{size}", "other" for unknown paths.
	Calls map[string]int
	// Statuses counts final answers by endpoint and HTTP status; status 0
	// is a connection closed without an answer (drop and stall faults), -1
	// a client that went away during the latency delay.
	Statuses     map[string]map[int]int
	Total        int // all requests
	RateLimited  int // 429s of the rate limit
	Burst429     int // 429s of burst faults
	Unauthorized int // 401s on API calls (not counting bad customer tokens)
	Faults500    int // 500s injected before the change
	Dropped      int // changes committed, connection then closed
	Stalled      int // changes committed, answer withheld
	FirstCall    time.Time
	LastCall     time.Time
}

// Snapshot copies the sandbox's state; safe to call at any time.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		UsersByRole:  map[int]int{},
		Assignments:  slices.Clone(s.assignments),
		Calls:        maps.Clone(s.st.calls),
		Statuses:     map[string]map[int]int{},
		Total:        s.st.total,
		RateLimited:  s.st.rateLimited,
		Burst429:     s.st.burst429,
		Unauthorized: s.st.unauthorized,
		Faults500:    s.st.faults500,
		Dropped:      s.st.dropped,
		Stalled:      s.st.stalled,
		FirstCall:    s.st.first,
		LastCall:     s.st.last,
		LearningAims: len(s.aim.aims),
		OnTemplates:  len(s.aim.tplOrder),
		Archived:     len(s.aim.archiveList),
	}
	for ep, m := range s.st.statuses {
		snap.Statuses[ep] = maps.Clone(m)
	}
	ids := slices.Sorted(maps.Keys(s.users))
	for _, id := range ids {
		u := s.users[id]
		snap.Users = append(snap.Users, u.export())
		snap.UsersByRole[u.role()]++
	}
	return snap
}

func (u *user) export() User {
	fields := make(map[string]any, len(u.vals))
	for k, v := range u.vals {
		fields[k] = jsonValue(v)
	}
	return User{
		ID: u.ID, OrganisationID: u.org(), Role: u.role(),
		FirstName: u.str("FirstName"), LastName: u.str("LastName"), Email: u.str("Email"), MISID: u.str("MISID"),
		ClassroomID: intVal(u.vals["ClassroomID"]), PlacementID: intVal(u.vals["PlacementID"]),
		DefaultAssessorID: intVal(u.vals["DefaultAssessorID"]), DefaultEmployerID: intVal(u.vals["DefaultEmployerID"]),
		Username: u.username, Fields: fields, Created: u.created, Modified: u.modified,
	}
}

// TooMany is every 429 answered, from the limit and from bursts.
func (s Snapshot) TooMany() int { return s.RateLimited + s.Burst429 }

// Duplicates groups users that look like the same person created twice:
// same organisation and role and the same MISID (when set) or, without a
// MISID, the same email, first and last name (case-insensitive). A load that
// never creates anyone twice leaves none.
func (s Snapshot) Duplicates() [][]User {
	groups := map[string][]User{}
	for _, u := range s.Users {
		key := fmt.Sprintf("%d|%d|", u.OrganisationID, u.Role)
		if u.MISID != "" {
			key += "misid|" + strings.ToLower(u.MISID)
		} else {
			key += "email|" + strings.ToLower(u.Email+"|"+u.FirstName+"|"+u.LastName)
		}
		groups[key] = append(groups[key], u)
	}
	var out [][]User
	for _, g := range groups {
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0].ID < out[j][0].ID })
	return out
}

// WriteSummary prints what the sandbox holds and how it was called, for
// people: users by role, assignments by level, calls by endpoint.
func (s Snapshot) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Sandbox holds %d users:", len(s.Users))
	for _, r := range schema.Roles {
		if n := s.UsersByRole[r.ID]; n > 0 {
			name := r.Plural
			if n == 1 {
				name = r.Short // "1 observer", "1 IQA"
			}
			fmt.Fprintf(&b, " %d %s,", n, name)
		}
	}
	out := strings.TrimSuffix(b.String(), ",") + "\n"
	levels := map[int]int{}
	for _, a := range s.Assignments {
		levels[a.Level]++
	}
	out += fmt.Sprintf("Assignments: %d (learning aim %d, unit summary %d, additional %d)\n",
		len(s.Assignments), levels[3], levels[2], levels[1])
	if s.LearningAims+s.OnTemplates+s.Archived > 0 {
		out += fmt.Sprintf("Learning aims: %d; learners on framework templates: %d; archived users: %d\n", s.LearningAims, s.OnTemplates, s.Archived)
	}
	if d := s.Duplicates(); len(d) > 0 {
		out += fmt.Sprintf("Possible duplicate users: %d groups\n", len(d))
	}
	out += fmt.Sprintf("Calls: %d", s.Total)
	if s.TooMany() > 0 || s.Faults500+s.Dropped+s.Stalled > 0 || s.Unauthorized > 0 {
		out += fmt.Sprintf(" (429: %d, 401: %d, injected 500: %d, dropped: %d, stalled: %d)",
			s.TooMany(), s.Unauthorized, s.Faults500, s.Dropped, s.Stalled)
	}
	out += "\n"
	for _, ep := range slices.Sorted(maps.Keys(s.Calls)) {
		out += fmt.Sprintf("  %-36s %d\n", ep, s.Calls[ep])
	}
	_, err := io.WriteString(w, out)
	return err
}

// Rate is the sustained call rate between the first and the last call, in
// calls per period (e.g. Rate(time.Minute) is calls a minute). Benchmarks
// compare it with the configured limit.
func (s Snapshot) Rate(per time.Duration) float64 {
	span := s.LastCall.Sub(s.FirstCall)
	if s.Total < 2 || span <= 0 {
		return 0
	}
	return float64(s.Total-1) / float64(span) * float64(per)
}

// Throughput is like Rate but counts only the calls not answered 429: the
// calls the API accepted, per period.
func (s Snapshot) Throughput(per time.Duration) float64 {
	span := s.LastCall.Sub(s.FirstCall)
	if s.Total < 2 || span <= 0 {
		return 0
	}
	return float64(s.Total-s.TooMany()-1) / float64(span) * float64(per)
}

// Share429 is the share of all calls answered 429.
func (s Snapshot) Share429() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.TooMany()) / float64(s.Total)
}
