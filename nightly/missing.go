package nightly

import (
	"fmt"
	"strings"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/pipeline"
)

// Leavers (issue 13): a job whose file is a full export (full_export: true) may say
// on_missing: archive. A OneFile user is then a leaver when a key of theirs (MISID, else
// e-mail, as the onefile-users kind keys a row) is one the job's state knows for this target,
// and no row of tonight's file, valid or rejected, has any of their keys. The state keeps only
// fingerprints of keys, so leavers are found by fingerprinting the keys of the users OneFile
// answers in the load's download: no name is stored to find them. They are archived after the
// rows are loaded (formats/onefile/load, leavers.go), listed in a held run's plan, and counted
// against max_missing: the run is held, before anything is sent, when more known rows are
// missing than it allows.

// The values of on_missing.
const (
	OnMissingKeep    = "keep"
	OnMissingArchive = "archive"
)

// Archives reports whether the job archives leavers.
func (j *Job) Archives() bool {
	return strings.EqualFold(strings.TrimSpace(j.OnMissing), OnMissingArchive)
}

// checkOnMissing lists what is wrong with on_missing, as sentences.
func (j *Job) checkOnMissing() []string {
	switch strings.ToLower(strings.TrimSpace(j.OnMissing)) {
	case "", OnMissingKeep:
		return nil
	case OnMissingArchive:
	default:
		return []string{fmt.Sprintf("on_missing %q: use keep (the default: nothing happens to users missing from a file) or archive", j.OnMissing)}
	}
	var errs []string
	if !j.FullExport {
		errs = append(errs, "on_missing: archive needs full_export: true: only a file that holds every record can show who has left, and archiving on a partial or changes-only file would archive everyone it lacks. Say full_export: true if the MIS exports every learner and member of staff each time, or use on_missing: keep")
	}
	if j.Target.Type != "onefile" || (j.Kind != "" && j.Kind != onefile.Users.Name) {
		errs = append(errs, "on_missing: archive is for a onefile target reading onefile-users rows (kind: onefile-users)")
	}
	if !j.DiffOn() {
		errs = append(errs, "on_missing: archive needs diff on: the job's state is what knows who was there before")
	}
	return errs
}

// presentKeys records the key fingerprint of every row of tonight's file that has one,
// whatever its outcome: a row rejected tonight is still in the file, so its user has not left.
type presentKeys struct {
	keys  map[uint64]struct{}
	fatal bool // a table missing a required column: its rows were not read, so nobody can be judged gone
}

func newPresentKeys() *presentKeys { return &presentKeys{keys: map[uint64]struct{}{}} }

func (p *presentKeys) Table(_ *pipeline.Source, _ *pipeline.Kind, ps []pipeline.Problem) {
	for _, x := range ps {
		if x.Severity == pipeline.Error {
			p.fatal = true
		}
	}
}

func (p *presentKeys) Row(r *pipeline.Row, _ pipeline.Outcome) {
	if r.NotData || r.Map == nil || r.Map.Kind != onefile.Users {
		return
	}
	// A rejected row's key may be in either column: MISID, or the e-mail when MISID is empty.
	kind, key := RowKey(r)
	if key != "" {
		p.keys[fingerprint(kind, key)] = struct{}{}
	}
	for _, name := range []string{"MISID", "Email"} {
		if f := r.Map.Kind.FieldIndex(name); f >= 0 {
			if v := r.Value(f); v != "" {
				p.keys[fingerprint(kind, name+"="+strings.ToLower(v))] = struct{}{}
			}
		}
	}
}

func (p *presentKeys) Problem(pipeline.Problem) {}

// userKeys are the keys a OneFile user would have as a onefile-users row: by MISID and by
// e-mail (a row keys itself by MISID, else e-mail; the user may have been sent either way).
func userKeys(u *load.User) []string {
	var ks []string
	for _, name := range []string{"MISID", "Email"} {
		if v, _ := u.Fields[name].(string); strings.TrimSpace(v) != "" {
			ks = append(ks, name+"="+strings.ToLower(strings.TrimSpace(v)))
		}
	}
	return ks
}

// Leaver says whether OneFile user u is a leaver: a key of theirs is known to the state for
// this target and none is in tonight's file (present). Call it after the file was read.
func (d *Differ) Leaver(present *presentKeys, u *load.User) bool {
	if present.fatal {
		return false
	}
	known := false
	for _, k := range userKeys(u) {
		fp := fingerprint(onefile.Users.Name, k)
		if _, ok := present.keys[fp]; ok {
			return false
		}
		if _, ok := d.known[fp]; ok {
			known = true
		}
	}
	return known
}

// tee is several reporters as one (the strict rows' and the present keys').
type teeReporter []pipeline.Reporter

func (t teeReporter) Table(s *pipeline.Source, k *pipeline.Kind, ps []pipeline.Problem) {
	for _, r := range t {
		r.Table(s, k, ps)
	}
}
func (t teeReporter) Row(r *pipeline.Row, out pipeline.Outcome) {
	for _, x := range t {
		x.Row(r, out)
	}
}
func (t teeReporter) Problem(p pipeline.Problem) {
	for _, x := range t {
		x.Problem(p)
	}
}

// Archived makes the state forget leaver g once OneFile has archived them (now, or by an
// earlier run that stopped before recording it), at the next Commit: they left on purpose, so
// they are no longer known rows missing from the file. Otherwise every leaver ever archived
// would count against max_missing every night after, until every night was held; and one who
// comes back is new, as OneFile no longer lists them.
func (d *Differ) Archived(g load.Leaver) {
	if g.Status != load.StatusOK && !(g.Status == load.StatusSkipped && strings.HasPrefix(g.Message, "archived by run")) {
		return
	}
	u := &load.User{Fields: map[string]any{"MISID": g.MISID, "Email": g.Email}}
	for _, k := range userKeys(u) {
		fp := fingerprint(onefile.Users.Name, k)
		if _, ok := d.known[fp]; ok {
			d.forget = append(d.forget, fp)
		}
	}
}
