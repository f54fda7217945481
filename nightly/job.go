// Package nightly runs bulk unattended on files an MIS drops into a folder: it reads a job file,
// claims each file once it is stable, keeps two runs of a job from overlapping, sends only rows
// that are new or changed since the last good run, holds a run whose changes exceed the job's
// thresholds, and files each input under done/, failed/ or held/ with its run ID.
package nightly

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/internal/target"
	"github.com/bulkload/bulk/pipeline"
)

// Job is a job file.
type Job struct {
	Path       string     `yaml:"-"`
	Name       string     `yaml:"name"`
	Inputs     Inputs     `yaml:"inputs"`
	Kind       string     `yaml:"kind"`
	Map        string     `yaml:"map"`
	HeaderRow  int        `yaml:"header_row"` // the row holding the header (0: found among the first rows)
	DateOrder  string     `yaml:"date_order"`
	Strict     bool       `yaml:"strict"`
	Target     Target     `yaml:"target"`
	Report     string     `yaml:"report"`  // folder for one report folder per run
	Archive    string     `yaml:"archive"` // done/, failed/, held/ go here
	State      string     `yaml:"state"`   // the state database (default DefaultStatePath); diffs are keyed by job name and TargetKey
	Diff       *bool      `yaml:"diff"`    // send only new and changed rows (default true)
	Thresholds Thresholds `yaml:"thresholds"`
	Notify     *Notify    `yaml:"notify"` // who hears of a run's end (notify.go)
	// FullExport says each file holds every record, not just tonight's changes: only then can a
	// known key missing from it mean a leaver (OnMissing).
	FullExport bool `yaml:"full_export"`
	// OnMissing is what becomes of OneFile users whose key was known and is missing from
	// tonight's full export: keep (the default) or archive (missing.go).
	OnMissing string `yaml:"on_missing"`
	// Credentials says where a OneFile job keeps the logins of the users it creates.
	Credentials Credentials `yaml:"credentials"`

	// stateGiven is state: as the job file writes it, before it is made a path beside the job
	// file ("postgres:/db" would become DIR/postgres:/db), so that Check judges what was written.
	stateGiven string
}

// Credentials is a private folder of the job's for the logins (user names and passwords) OneFile
// gives the users a run creates: one folder per run, never in the archive or the reports, and
// removed once older than Keep.
type Credentials struct {
	Folder string   `yaml:"folder"` // default: credentials/JOB beside the state file
	Keep   Duration `yaml:"keep"`   // default 30d
}

// defaultCredentialsKeep is long enough for a college's IT team to hand logins out after a
// weekend or a holiday, short enough that passwords do not pile up.
const defaultCredentialsKeep = 30 * 24 * time.Hour

// Inputs says where the files arrive and when one is ready.
type Inputs struct {
	Folder     string   `yaml:"folder"`
	Glob       string   `yaml:"glob"`
	Settle     Duration `yaml:"settle"`      // size and mtime unchanged this long (default 1m)
	DoneMarker bool     `yaml:"done_marker"` // also wait for FILE.done, which the exporter writes last
	// Group names a group whose files are claimed too (the MIS export's account, say): by
	// default only files owned by the user the job runs as are claimed.
	Group string `yaml:"group"`
}

// Target says where valid rows go.
type Target struct {
	Type string `yaml:"type"` // validate, export, onefile, peoplefluent

	// onefile
	URL          string   `yaml:"url"`
	Env          string   `yaml:"env"`
	Organisation int      `yaml:"organisation"`
	TokenFile    string   `yaml:"token_file"`
	TokenEnv     string   `yaml:"token_env"`
	Mode         string   `yaml:"mode"`
	Concurrency  int      `yaml:"concurrency"`
	Rate         int      `yaml:"rate"`
	Patience     Duration `yaml:"patience"`     // a spell of 429s waited out before rows fail (default 10m)
	ConfirmLive  bool     `yaml:"confirm_live"` // loading into live unattended must be said in the job file

	// peoplefluent
	Base      string `yaml:"base"`
	Endpoint  string `yaml:"endpoint"`
	KeyFile   string `yaml:"key_file"`
	KeyEnv    string `yaml:"key_env"`
	User      string `yaml:"user"` // the system user name sent with the key (else BULK_PF_USER, else bulk)
	ChunkRows int    `yaml:"chunk_rows"`
	// MonthNames writes training-history dates as 05-Sep-2026 09:00 (else 05-09-2026 09:00).
	MonthNames bool `yaml:"month_names"`
	// CheckUsers reads the LMS's users (users200510Xml) before the push and rejects rows whose
	// user it does not have (bulk load peoplefluent --check-users).
	CheckUsers bool `yaml:"check_users"`
	// Verify reads the records back after the push (trainingHistoryXml) and reports rows the
	// LMS does not hold as sent (bulk load peoplefluent --verify; training-history only).
	Verify bool `yaml:"verify"`

	// export (and peoplefluent: where payloads are kept)
	Folder string `yaml:"folder"`
}

// Duration is a time.Duration written as "90s" or "2m" in a job file.
type Duration time.Duration

// UnmarshalYAML reads "2m", "90s", "30d" or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if secs, err := strconv.Atoi(n.Value); err == nil {
		*d = Duration(time.Duration(secs) * time.Second)
		return nil
	}
	if days, ok := strings.CutSuffix(strings.TrimSpace(n.Value), "d"); ok {
		if v, err := strconv.Atoi(days); err == nil && v >= 0 {
			*d = Duration(time.Duration(v) * 24 * time.Hour)
			return nil
		}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 90s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Limit is a threshold: a count ("200") or a share of the rows known from earlier runs ("10%").
type Limit struct {
	Count   int
	Percent float64
	Set     bool
}

// UnmarshalYAML reads "200" or "10%".
func (l *Limit) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 {
			return fmt.Errorf("line %d: %q is not a percentage from 0%% to 100%%", n.Line, s)
		}
		*l = Limit{Percent: v, Set: true}
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a count (200) or a percentage (10%%)", n.Line, s)
	}
	*l = Limit{Count: v, Set: true}
	return nil
}

func (l Limit) String() string {
	if l.Percent > 0 {
		return strconv.FormatFloat(l.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(l.Count)
}

// Exceeded reports whether n rows, out of known rows from earlier runs, break the limit.
func (l Limit) Exceeded(n, known int) bool {
	if !l.Set {
		return false
	}
	if l.Percent > 0 {
		if known == 0 {
			return false // nothing known yet: a share of nothing cannot be judged
		}
		return float64(n)*100 > l.Percent*float64(known)
	}
	return n > l.Count
}

// Thresholds hold a run instead of sending mass changes (a bad or partial export).
type Thresholds struct {
	MaxChanges Limit `yaml:"max_changes"` // known rows that would be updated
	MaxNew     Limit `yaml:"max_new"`     // rows never seen before
	MaxMissing Limit `yaml:"max_missing"` // known rows absent from the file: the sign of a truncated export
}

// secretKeys are names people reach for when putting a secret in a file; a job file never holds one.
var secretKeys = []string{"token", "key", "password", "secret", "customer_token", "system_key", "api_key"}

// Load reads and checks a job file. Relative paths in it are relative to the file.
func Load(path string) (*Job, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the job file: %w", err)
	}
	var raw map[string]any
	_ = yaml.Unmarshal(b, &raw)
	if t, ok := raw["target"].(map[string]any); ok {
		for _, k := range secretKeys {
			if _, bad := t[k]; bad {
				return nil, fmt.Errorf("%s: target.%s: secrets are never kept in a job file; name a file with token_file/key_file or an environment variable with token_env/key_env", path, k)
			}
		}
	}
	if n, ok := raw["notify"].(map[string]any); ok {
		e, _ := n["email"].(map[string]any)
		for _, k := range secretKeys {
			_, inN := n[k]
			_, inE := e[k]
			if inN || inE {
				return nil, fmt.Errorf("%s: notify: %s: secrets are never kept in a job file; name a file with notify.email.password_file or an environment variable with notify.email.password_env", path, k)
			}
		}
	}
	j := &Job{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var errs []string
	if err := dec.Decode(j); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s is not a job file: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		// Unknown or mistyped settings: say each in the job file's words, then go on checking
		// the rest, so one --check lists every problem.
		for _, e := range te.Errors {
			errs = append(errs, plainYAMLError(e))
		}
	}
	j.defaults()
	errs = append(errs, j.Check()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s has problems:\n  - %s", path, strings.Join(errs, "\n  - "))
	}
	return j, nil
}

var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type nightly\.(\w+)$`)

// plainYAMLError turns the YAML decoder's words into the job file's.
func plainYAMLError(e string) string {
	if m := unknownField.FindStringSubmatch(e); m != nil {
		where := map[string]string{"Job": "", "Inputs": " under inputs", "Target": " under target", "Thresholds": " under thresholds", "Notify": " under notify", "Email": " under notify.email", "Credentials": " under credentials"}[m[3]]
		return fmt.Sprintf("line %s: %q is not a setting%s (see docs/nightly.md for the settings)", m[1], m[2], where)
	}
	return strings.ReplaceAll(e, "nightly.", "")
}

func (j *Job) rel(p string) string {
	if p == "" || filepath.IsAbs(p) || sqlstore.IsURL(p) {
		return p
	}
	return filepath.Join(filepath.Dir(j.Path), p)
}

func (j *Job) defaults() {
	if j.Name == "" {
		j.Name = strings.TrimSuffix(filepath.Base(j.Path), filepath.Ext(j.Path))
	}
	j.Inputs.Folder = j.rel(j.Inputs.Folder)
	if j.Inputs.Glob == "" {
		j.Inputs.Glob = "*.csv"
	}
	if j.Inputs.Settle == 0 {
		j.Inputs.Settle = Duration(time.Minute)
	}
	j.Map = j.rel(j.Map)
	if j.Archive == "" && j.Inputs.Folder != "" {
		j.Archive = filepath.Join(j.Inputs.Folder, "archive")
	}
	j.Archive = j.rel(j.Archive)
	if j.Report == "" && j.Archive != "" {
		j.Report = filepath.Join(j.Archive, "reports")
	}
	j.Report = j.rel(j.Report)
	j.stateGiven = j.State
	if j.State == "" {
		j.State = DefaultStatePath()
	}
	j.State = j.rel(j.State)
	j.Target.TokenFile = j.rel(j.Target.TokenFile)
	j.Target.KeyFile = j.rel(j.Target.KeyFile)
	j.Target.Folder = j.rel(j.Target.Folder)
	if j.Target.Type == "" {
		j.Target.Type = "validate"
	}
	if j.Thresholds.MaxMissing == (Limit{}) {
		// A nightly full export that suddenly lacks a quarter of the known rows is a broken
		// export far more often than a real change: hold it unless the job says otherwise.
		j.Thresholds.MaxMissing = Limit{Percent: 25, Set: true}
	}
	if j.Notify != nil {
		j.Notify.defaults(j)
	}
	if j.Credentials.Folder == "" {
		j.Credentials.Folder = filepath.Join(sqlstore.LocalDir(j.State, localStateDir()), "credentials", j.Name)
	}
	j.Credentials.Folder = j.rel(j.Credentials.Folder)
	if j.Credentials.Keep == 0 {
		j.Credentials.Keep = Duration(defaultCredentialsKeep)
	}
}

// TargetKey names where the job's rows go, from the job file alone, for keying its diff state
// (State.NewDiffer) and its runs: for OneFile the API root and the organisation; for
// PeopleFluent the LMS base and the endpoint (the kind when the job leaves the endpoint to it);
// for an export its folder. An environment's name (env: beta) is resolved to its API root
// (app.OneFileEnvs), and every URL is made canonical as a load makes it (internal/target:
// scheme and host in lower case, localhost as 127.0.0.1, no default port or trailing slash), so
// `env: beta` and `url: https://WSAPIBETA.onefile.co.uk/api/v2.1/` are one target, and a job
// pointed at another organisation or environment starts afresh (issue 10, defect 1).
func (j *Job) TargetKey() string {
	t := j.Target
	switch t.Type {
	case "onefile":
		raw := t.URL
		if t.Env != "" {
			root, ok := app.OneFileEnvs[strings.ToLower(strings.TrimSpace(t.Env))]
			if !ok {
				// Check refuses such a job; the key still must not collide with a real root.
				return fmt.Sprintf("onefile env:%s org=%d", strings.ToLower(strings.TrimSpace(t.Env)), t.Organisation)
			}
			raw = root
		}
		return fmt.Sprintf("onefile %s org=%d", canonicalURL(raw), t.Organisation)
	case "peoplefluent":
		ep := t.Endpoint
		if ep == "" {
			ep = "kind:" + j.Kind
		}
		return "peoplefluent " + canonicalURL(t.Base) + " " + ep
	case "export":
		dir := t.Folder
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		return "export " + filepath.Clean(dir)
	}
	return t.Type
}

// canonicalURL is raw as internal/target spells it, the spelling loads, ledgers and locks use.
// A URL target refuses (a user or password in it, a query) never reaches a load, but the key is
// still made, by hand, without the parts that do not change where it points. Userinfo is
// dropped above all: the key is stored and shown, and a password in a URL is a secret.
func canonicalURL(raw string) string {
	if u, err := target.Canonical(raw, target.AllowInsecureHTTP); err == nil {
		return u.String()
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimRight(strings.ToLower(strings.TrimSpace(raw)), "/")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(u.Scheme == "https" && p == "443" || u.Scheme == "http" && p == "80") {
		host = net.JoinHostPort(host, p)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// DiffOn reports whether the job sends only new and changed rows.
func (j *Job) DiffOn() bool { return j.Diff == nil || *j.Diff }

// Check lists what is wrong with the job, as sentences; empty when it can run.
func (j *Job) Check() []string {
	var errs []string
	add := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if why := lockNameProblem(j.Name); why != "" {
		add("name %q %s: give the job a short name of letters, digits, '-', '_' or '.' (name: in the job file)", j.Name, why)
	}
	if j.Inputs.Folder == "" {
		add("inputs.folder is missing: name the folder the MIS export lands in")
	} else if st, err := os.Stat(j.Inputs.Folder); err != nil || !st.IsDir() {
		add("inputs.folder %s is not a folder that exists", j.Inputs.Folder)
	}
	if j.Inputs.Group != "" {
		if _, err := groupID(j.Inputs.Group); err != nil {
			add("inputs.group %q: %v", j.Inputs.Group, err)
		}
	}
	if _, err := filepath.Match(j.Inputs.Glob, "x"); err != nil {
		add("inputs.glob %q is not a valid pattern", j.Inputs.Glob)
	}
	if j.Map != "" {
		if _, err := os.Stat(j.Map); err != nil {
			add("map %s cannot be read", j.Map)
		}
	}
	// A state URL the run would refuse (mysql://, postgres: without its //) is said here, where
	// it came from named; CheckPath's message never repeats a password.
	if j.stateGiven != "" {
		if err := sqlstore.CheckPath(j.stateGiven, "state"); err != nil {
			add("%v (state: in the job file)", err)
		}
	} else if env := os.Getenv(ledger.StateURLEnv); env != "" {
		if err := sqlstore.CheckPath(env, "state"); err != nil {
			add("%v (from %s, as the job file gives no state:)", err, ledger.StateURLEnv)
		}
	}
	if j.HeaderRow < 0 || j.HeaderRow > pipeline.MaxHeaderRow {
		add("header_row %d: give the row that holds the column names, from 1 (or leave it out to find it)", j.HeaderRow)
	}
	switch strings.ToLower(j.DateOrder) {
	case "", "dmy", "mdy":
	default:
		add("date_order %q: use dmy or mdy", j.DateOrder)
	}
	t := &j.Target
	switch t.Type {
	case "validate":
	case "export":
		if t.Folder == "" {
			add("target.folder is missing: an export target writes payloads there")
		}
		if j.Kind == "" {
			add("kind is missing: an export target needs the kind to export (see 'bulk kinds')")
		}
	case "onefile":
		if t.URL == "" && t.Env == "" {
			add("target.url (the API root) or target.env (beta, practice, live) is missing")
		}
		if t.TokenFile == "" && t.TokenEnv == "" {
			add("target.token_file or target.token_env is missing: name where the customer token is kept")
		}
		if t.TokenEnv != "" && os.Getenv(t.TokenEnv) == "" && t.TokenFile == "" {
			add("target.token_env names %s, which is not set in this environment", t.TokenEnv)
		}
		switch t.Mode {
		case "", "create", "upsert", "update":
		default:
			add("target.mode %q: use create, upsert or update", t.Mode)
		}
	case "peoplefluent":
		if t.Base == "" {
			add("target.base (the LMS root URL, e.g. https://lms.example.ac.uk/ekp/) is missing")
		}
		switch t.Endpoint {
		case "", "trainingHistoryCsv", "externalTrainingCsv", "courses":
		default:
			add("target.endpoint %q: use trainingHistoryCsv, externalTrainingCsv or courses (or leave it out: the kind decides)", t.Endpoint)
		}
		if j.Kind == "" {
			add("kind is missing: a peoplefluent target needs the kind to send (training-history, external-training or courses)")
		}
		if t.KeyFile == "" && t.KeyEnv == "" {
			add("target.key_file or target.key_env is missing: name where the system key is kept")
		}
		if t.User != "" {
			if err := peoplefluent.CheckUser(t.User); err != nil {
				add("target.user: %v", err)
			}
		}
		if t.Verify && j.Kind != "" {
			if ek, err := app.FindExportKind(j.Kind); err == nil && ek.Endpoint != string(peoplefluent.TrainingHistoryCSV) {
				add("target.verify: the LMS's records can be read back for training-history only (trainingHistoryXml); %s has no documented read, so leave verify out", j.Kind)
			}
		}
	default:
		add("target.type %q: use validate, export, onefile or peoplefluent", t.Type)
	}
	if t.TokenFile != "" {
		if _, err := os.Stat(t.TokenFile); err != nil {
			add("target.token_file %s cannot be read", t.TokenFile)
		}
	}
	if t.KeyFile != "" {
		if _, err := os.Stat(t.KeyFile); err != nil {
			add("target.key_file %s cannot be read", t.KeyFile)
		}
	}
	if t.Type != "peoplefluent" {
		why := "only a peoplefluent target pushes to the LMS"
		if t.Type == "onefile" {
			why = "a OneFile load checks each row against OneFile's own users as it plans, and its results say what OneFile did"
		}
		for _, s := range []struct {
			on         bool
			name, does string
		}{{t.Verify, "verify", "reads PeopleFluent records back after a push"}, {t.CheckUsers, "check_users", "checks USERIDs against the PeopleFluent LMS before a push"}} {
			if s.on {
				add("target.%s %s, and this job's target is %s: leave it out (%s)", s.name, s.does, t.Type, why)
			}
		}
	}
	if j.Notify != nil {
		errs = append(errs, j.Notify.check(os.Getenv)...)
	}
	errs = append(errs, j.checkOnMissing()...)
	if t.Type == "onefile" {
		for _, d := range []struct{ what, dir string }{{"archive", j.Archive}, {"report", j.Report}, {"inputs.folder", j.Inputs.Folder}} {
			if d.dir != "" && within(j.Credentials.Folder, d.dir) {
				add("credentials.folder %s is inside the job's %s folder %s: new users' passwords must be kept apart from it; name a private folder of their own", j.Credentials.Folder, d.what, d.dir)
			}
		}
	}
	return errs
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// maxNameBytes bounds a job's name: it names the job's lock file (NAME.lock) and its export
// payloads (NAME-RUNID.csv, 30 bytes more), and a file name holds at most 255 bytes.
const maxNameBytes = 200

// lockNameProblem says why name cannot name the job's lock file, or "" when it can: checked by
// --check, so a job does not pass it and then fail at run time.
func lockNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "is empty"
	case name == "." || name == "..":
		return "is not a file name"
	case strings.ContainsAny(name, "/\\\x00"):
		return "holds a character a file name cannot (/, \\ or NUL)"
	case len(name) > maxNameBytes:
		return fmt.Sprintf("is %d bytes long, more than the %d its lock file's name can hold", len(name), maxNameBytes)
	}
	return ""
}

// ErrLocked means another run of the job holds its lock.
var ErrLocked = errors.New("another run of this job is in progress")
