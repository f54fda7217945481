package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	mrand "math/rand"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Config sets up a Server. The zero value is a sandbox with the default seed,
// no rate limit, no faults, keychain off and 24-hour sessions; DefaultConfig
// gives the values that imitate OneFile (300 calls a minute).
type Config struct {
	// BasePath is the API root path; default "/api/v2.1".
	BasePath string
	// CustomerToken is the token POST /Authentication accepts. Empty: New
	// makes a random one, readable with (*Server).CustomerToken.
	CustomerToken string
	// RateLimit is the number of calls accepted in any RateWindow; more are
	// answered 429. 0 means no limit. OneFile documents 300 a minute.
	RateLimit int
	// RateWindow is the rolling window RateLimit counts over; default one
	// minute. Tests shrink it (with the client's matching setting) so that a
	// rate test takes seconds.
	RateWindow time.Duration
	// RetryAfter adds a Retry-After header (whole seconds) to the 429s of
	// the rate limit. Off by default because OneFile documents none.
	RetryAfter bool
	// Latency is added to every request before it is handled.
	Latency time.Duration
	// Faults to inject; see FaultSpec.
	Faults FaultSpec
	// Keychain is the centre setting "automatically create or attach to a
	// Keychain": on, POST /User answers the organisation object and no user
	// ID (the 2026 guide); off, it answers {ID, Username, Password}.
	Keychain bool
	// SessionTTL is how long a session token lives; default 24 hours.
	SessionTTL time.Duration
	// Seed is the starting data; nil means DefaultSeed().
	Seed *Seed
	// RandSeed, when not zero, replaces Faults.Seed as the seed of fault
	// decisions and of generated usernames and passwords.
	RandSeed int64
	// MaxStall bounds how long a stall fault holds a response; default 2m.
	MaxStall time.Duration
	// AssignLearnerInPath makes POST /User/{id}/Assign take the newer guide's
	// literal reading: {id} is the learner and the body's LearnerID the user
	// assigned. Off (the default), the assignee is in the path, as public
	// clients send it. Either way the other reading is refused (a learner
	// cannot be assigned), so bulk probe --write-test can tell them apart.
	AssignLearnerInPath bool
	// SearchMode is how much of each user User/Search answers; the zero
	// value is SearchSummary. GET /User/{id} always answers the full user.
	SearchMode SearchMode
	// Roles settles the guesses about roles (schema.RoleGuesses, by name: allowed or not),
	// as a target profile's roles: setting does for validation; nil keeps bulk's defaults.
	Roles map[string]bool
}

// SearchMode says how much of each user User/Search answers.
type SearchMode string

const (
	// SearchSummary answers each user with only ID, FirstName, LastName,
	// MISID, Email, Role and DefaultAssessorID: what real OneFile centres
	// have been seen to answer. A loader that reads an absent field as empty
	// fails here in rehearsal instead of on go-live morning.
	SearchSummary SearchMode = "summary"
	// SearchFull answers every stored field, as GET /User/{id} does.
	SearchFull SearchMode = "full"
)

// summaryFields are the user fields a SearchSummary answer carries (besides ID).
var summaryFields = []string{"FirstName", "LastName", "MISID", "Email", "Role", "DefaultAssessorID"}

// ParseSearchMode reads "summary" or "full" (any case).
func ParseSearchMode(s string) (SearchMode, error) {
	switch m := SearchMode(strings.ToLower(strings.TrimSpace(s))); m {
	case SearchSummary, SearchFull:
		return m, nil
	}
	return "", fmt.Errorf("search mode %q: say summary (the fields real centres answer) or full (every field)", s)
}

// String is the mode's name; the zero value reads as the default, summary.
func (m SearchMode) String() string {
	if m == "" {
		return string(SearchSummary)
	}
	return string(m)
}

// DefaultConfig is the configuration that imitates OneFile as its newest
// guide describes it: 300 calls per rolling minute, 24-hour sessions, the
// keychain on (a create answers no user ID and no password, so a rehearsal
// takes the find-the-new-user path a live load takes), the default seed.
func DefaultConfig() Config {
	return Config{RateLimit: 300, RateWindow: time.Minute, SessionTTL: 24 * time.Hour, Keychain: true}
}

// ParseKeychain reads a keychain setting: on (the 2026 guide) or off (the
// 2024 guide: a create answers the new user's ID, username and password).
func ParseKeychain(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "yes":
		return true, nil
	case "off", "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("--keychain %q: say on (creates answer no user ID or password, as the 2026 guide says) or off (the 2024 behaviour)", s)
}

// MaxPageSize is the largest pageSize a paged search accepts.
const MaxPageSize = 1000

// Server is the sandbox. Create it with New; it is an http.Handler.
type Server struct {
	cfg      Config
	roles    schema.RoleRules // who may be a default assessor and be assigned at each level
	base     string
	mux      *http.ServeMux
	limiter  *window
	closing  chan struct{}
	closeOne sync.Once

	mu          sync.Mutex
	rng         *mrand.Rand
	seed        int64
	sessions    map[string]time.Time // session token -> expiry
	customer    SeedCustomer
	orgIDs      []int
	orgs        map[int]*organisation
	classrooms  map[int]*named
	placements  map[int]*named
	standards   map[int]*standard
	units       map[string]*unit
	users       map[int]*user
	nextUserID  int
	assignments []Assignment
	assigned    map[Assignment]bool
	seen        map[uint64]int // request fingerprint -> times seen
	burstLeft   int
	throttleEnd time.Time // end of the throttle fault's spell; zero until the first write
	aim         aimState  // learning aims, framework templates, archived users (aims.go)
	st          stats
}

type organisation struct {
	ID                       int
	Name                     string
	KeychainEmailSuppression bool
}

type named struct {
	ID    int
	Org   int
	Name  string
	MISID string
}

type standard struct {
	ID    int
	Org   int
	Title string
}

type unit struct {
	ID         string
	StandardID int
	Org        int
	Title      string
	NDAQCode   string
	Display    string
}

type user struct {
	ID       int
	vals     map[string]any
	username string
	password string
	created  time.Time
	modified time.Time
	// searchable is when User/Search starts to list the user: its creation
	// plus the lag fault for users made by POST /User, zero for seeded ones.
	searchable time.Time
}

func (u *user) role() int           { return intVal(u.vals["Role"]) }
func (u *user) org() int            { return intVal(u.vals["OrganisationID"]) }
func intVal(v any) int              { n, _ := v.(int); return n }
func strVal(v any) string           { s, _ := v.(string); return s }
func (u *user) str(k string) string { return strVal(u.vals[k]) }

// New builds a sandbox from cfg. It panics if cfg.Seed is invalid; check a
// seed from a file with LoadSeed (which validates) first.
func New(cfg Config) *Server {
	if cfg.BasePath == "" {
		cfg.BasePath = "/api/v2.1"
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Minute
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 24 * time.Hour
	}
	if cfg.MaxStall <= 0 {
		cfg.MaxStall = 2 * time.Minute
	}
	if cfg.SearchMode == "" {
		cfg.SearchMode = SearchSummary
	}
	if cfg.CustomerToken == "" {
		cfg.CustomerToken = randomToken(18)
	}
	seed := cfg.Seed
	if seed == nil {
		seed = DefaultSeed()
	}
	if err := seed.Validate(); err != nil {
		panic("sandbox.New: " + err.Error())
	}
	roles, err := schema.NewRoleRules(cfg.Roles)
	if err != nil {
		panic("sandbox.New: " + err.Error())
	}
	rs := cfg.RandSeed
	if rs == 0 {
		rs = cfg.Faults.Seed
	}
	if rs == 0 {
		rs = 1
	}
	s := &Server{
		roles:      roles,
		cfg:        cfg,
		base:       cfg.BasePath,
		limiter:    newWindow(cfg.RateLimit, cfg.RateWindow),
		closing:    make(chan struct{}),
		rng:        mrand.New(mrand.NewSource(rs)),
		seed:       rs,
		sessions:   map[string]time.Time{},
		orgs:       map[int]*organisation{},
		classrooms: map[int]*named{},
		placements: map[int]*named{},
		standards:  map[int]*standard{},
		units:      map[string]*unit{},
		users:      map[int]*user{},
		assigned:   map[Assignment]bool{},
		seen:       map[uint64]int{},
		st:         newStats(),
	}
	s.load(seed)
	s.routes()
	return s
}

func (s *Server) load(seed *Seed) {
	now := time.Now().UTC()
	s.customer = seed.Customer
	maxID := 0
	for _, o := range seed.Organisations {
		s.orgIDs = append(s.orgIDs, o.ID)
		s.orgs[o.ID] = &organisation{ID: o.ID, Name: o.Name, KeychainEmailSuppression: o.KeychainEmailSuppression}
		for _, c := range o.Classrooms {
			s.classrooms[c.ID] = &named{ID: c.ID, Org: o.ID, Name: c.Name, MISID: c.MISID}
		}
		for _, p := range o.Placements {
			s.placements[p.ID] = &named{ID: p.ID, Org: o.ID, Name: p.Name, MISID: p.MISID}
		}
		for _, st := range o.Standards {
			s.standards[st.ID] = &standard{ID: st.ID, Org: o.ID, Title: st.Title}
			for _, u := range st.Units {
				s.units[u.ID] = &unit{ID: u.ID, StandardID: st.ID, Org: o.ID, Title: u.Title, NDAQCode: u.NDAQCode, Display: u.Display}
			}
		}
		s.aim.init()
		for _, t := range o.FrameworkTemplates {
			s.aim.templates[t.ID] = &frameworkTemplate{ID: t.ID, Org: o.ID, Title: t.Title}
		}
		for _, su := range o.Users {
			vals := map[string]any{"OrganisationID": o.ID, "Role": su.Role, "FirstName": su.FirstName, "LastName": su.LastName, "Email": su.Email}
			for k, v := range map[string]any{"MISID": su.MISID, "ClassroomID": su.ClassroomID, "PlacementID": su.PlacementID,
				"DefaultAssessorID": su.DefaultAssessorID, "DefaultEmployerID": su.DefaultEmployerID} {
				if v != "" && v != 0 {
					vals[k] = v
				}
			}
			s.users[su.ID] = &user{ID: su.ID, vals: vals, username: makeUsername(su.FirstName, su.LastName, su.ID), created: now, modified: now}
			maxID = max(maxID, su.ID)
		}
	}
	// New users get IDs well clear of the seed's, as on a real centre.
	s.nextUserID = max(maxID+1, 100001)
}

// CustomerToken is the customer token the sandbox accepts. It is a secret
// only for this sandbox; `bulk sandbox onefile` prints it.
func (s *Server) CustomerToken() string { return s.cfg.CustomerToken }

// BasePath is the API root path the sandbox serves, e.g. "/api/v2.1".
func (s *Server) BasePath() string { return s.base }

// Close ends stalled requests; Start's shutdown func calls it.
func (s *Server) Close() { s.closeOne.Do(func() { close(s.closing) }) }

// endpoint classes for faults.
const (
	classRead = iota
	classWrite
)

var writeEndpoints = map[string]bool{
	"POST /User":             true,
	"POST /User/{id}":        true,
	"POST /User/{id}/Assign": true,
	// aims.go
	"POST /Standard/{id}/{action}/{learnerId}":            true,
	"POST /FrameworkTemplate/{id}/Assign/{userId}/{only}": true,
	"POST /User/{id}/Archive":                             true,
}

// ServeHTTP runs one call through latency, the rate limit, 429 bursts,
// session check and faults, then the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	ep := "other" // unknown paths fall to the catch-all pattern "/"
	if method, path, ok := strings.Cut(pattern, " "); ok {
		ep = method + " " + strings.TrimPrefix(path, s.base)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		s.finish(ep, http.StatusRequestEntityTooLarge)
		writeMsg(w, http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	class := classRead
	if writeEndpoints[ep] {
		class = classWrite
	}
	draw := s.draws(r, body)

	if d := s.cfg.Latency + s.cfg.Faults.Latency + time.Duration(draw.jitter*float64(s.cfg.Faults.Jitter)); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			s.finish(ep, statusGone)
			return
		}
	}
	if ok, wait := s.limiter.allow(time.Now()); !ok {
		if s.cfg.RetryAfter {
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
		}
		s.count(func(st *stats) { st.rateLimited++ })
		s.finish(ep, http.StatusTooManyRequests)
		writeMsg(w, http.StatusTooManyRequests, fmt.Sprintf("API calls quota exceeded: at most %d calls per %s", s.cfg.RateLimit, s.cfg.RateWindow))
		return
	}
	if s.inBurst(draw.burst) || s.throttled(time.Now(), class == classWrite) {
		s.count(func(st *stats) { st.burst429++ })
		s.finish(ep, http.StatusTooManyRequests)
		writeMsg(w, http.StatusTooManyRequests, "API calls quota exceeded (sandbox 429 burst)")
		return
	}
	if ep != "POST /Authentication" {
		if msg := s.checkSession(r.Header.Get("X-TokenID")); msg != "" {
			s.count(func(st *stats) { st.unauthorized++ })
			s.finish(ep, http.StatusUnauthorized)
			writeMsg(w, http.StatusUnauthorized, msg)
			return
		}
	}
	if len(bytes.TrimSpace(body)) > 0 && !jsonMediaType(r.Header.Get("Content-Type")) {
		// ASP.NET Web API reads a body only through a formatter for its media
		// type; OneFile's JSON formatter takes application/json and text/json.
		s.finish(ep, http.StatusUnsupportedMediaType)
		writeMsg(w, http.StatusUnsupportedMediaType, fmt.Sprintf("The request entity's media type %q is not supported for this resource: send the body as application/json", r.Header.Get("Content-Type")))
		return
	}
	faulty := class == classWrite || s.cfg.Faults.AllCalls
	f := s.cfg.Faults
	if faulty && draw.kind < f.Error500 {
		s.count(func(st *stats) { st.faults500++ })
		s.finish(ep, http.StatusInternalServerError)
		writeMsg(w, http.StatusInternalServerError, "An error has occurred.")
		return
	}
	rec := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	switch {
	case faulty && draw.kind < f.Error500+f.Drop:
		s.count(func(st *stats) { st.dropped++ })
		s.finish(ep, statusDropped)
		dropConnection(w)
		return
	case faulty && draw.kind < f.Error500+f.Drop+f.Stall:
		s.count(func(st *stats) { st.stalled++ })
		s.finish(ep, statusDropped)
		t := time.NewTimer(s.cfg.MaxStall)
		select {
		case <-r.Context().Done():
		case <-s.closing:
		case <-t.C:
		}
		t.Stop()
		dropConnection(w)
		return
	}
	s.finish(ep, rec.status)
	rec.copyTo(w)
}

// jsonMediaType says whether a Content-Type header names JSON.
func jsonMediaType(h string) bool {
	mt, _, err := mime.ParseMediaType(h)
	return err == nil && (mt == "application/json" || mt == "text/json")
}

// Pseudo statuses in the per-endpoint counts.
const (
	statusDropped = 0  // connection closed with no response (drop, stall)
	statusGone    = -1 // client went away during the latency delay
)

// draw holds one request's random numbers, each uniform in [0,1).
type draw struct{ kind, burst, jitter float64 }

// draws derives the request's random numbers from the seed, the request and
// how often the same request was seen before, so fault decisions do not
// depend on how concurrent requests interleave.
func (s *Server) draws(r *http.Request, body []byte) draw {
	h := fnv.New64a()
	io.WriteString(h, r.Method+" "+r.URL.Path+"\n")
	h.Write(body)
	key := h.Sum64()
	s.mu.Lock()
	n := s.seen[key]
	s.seen[key] = n + 1
	s.mu.Unlock()
	var buf [8]byte
	u := func(salt string) float64 {
		g := fnv.New64a()
		binary.LittleEndian.PutUint64(buf[:], uint64(s.seed))
		g.Write(buf[:])
		binary.LittleEndian.PutUint64(buf[:], key)
		g.Write(buf[:])
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		g.Write(buf[:])
		io.WriteString(g, salt)
		return float64(mix(g.Sum64())>>11) / (1 << 53)
	}
	return draw{kind: u("kind"), burst: u("burst"), jitter: u("jitter")}
}

// mix is a 64-bit finaliser (splitmix64) that spreads FNV's weak low bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// inBurst says whether this request falls in a 429 burst, starting one when
// the draw says so.
func (s *Server) inBurst(u float64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.burstLeft > 0 {
		s.burstLeft--
		return true
	}
	if u < s.cfg.Faults.Burst429 {
		s.burstLeft = s.cfg.Faults.burstLen() - 1
		return true
	}
	return false
}

// throttled says whether a request at now falls in the throttle fault's
// spell, which starts with the first write (so a load has read what it needs
// and its rows meet the spell).
func (s *Server) throttled(now time.Time, write bool) bool {
	if s.cfg.Faults.Throttle <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttleEnd.IsZero() {
		if !write {
			return false
		}
		s.throttleEnd = now.Add(s.cfg.Faults.Throttle)
	}
	return now.Before(s.throttleEnd)
}

// checkSession says what is wrong with a session token, or "" if it is good.
func (s *Server) checkSession(tok string) string {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "Authorization has been denied for this request: no X-TokenID header"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.sessions[tok]
	if !ok {
		return "Authorization has been denied for this request: unknown session"
	}
	if time.Now().After(exp) {
		delete(s.sessions, tok)
		return "Authorization has been denied for this request: the session has expired"
	}
	return ""
}

func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): abort the response, which resets the stream.
	panic(http.ErrAbortHandler)
}

// bufferedWriter holds an endpoint's response until the fault decision.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeMsg(w, http.StatusInternalServerError, "sandbox: cannot encode answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(data)
}

// writeMsg answers an error as {"message": "..."}.
func writeMsg(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
