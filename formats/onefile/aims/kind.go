// Package aims is the onefile-standards kind: learners put on standards (a new learning aim,
// POST /Standard/{id}/Assign/{learnerId}) and, optionally, on a framework template (POST
// /FrameworkTemplate/{id}/Assign/{userId}/{onlyChangeAssigned}), guide 4 of OneFile's API
// series ("Assigning Framework Templates, Standards and Units"). Both endpoints are seen in
// public clients, not documented (docs/onefile-api.md). The loader (formats/onefile/load) runs
// these rows as a stage after users and before assignments, since a Level 3 assignment names the
// learner's standard.
package aims

import (
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// maxID bounds OneFile IDs, as the other OneFile kinds do (32-bit, positive).
const maxID = 1<<31 - 1

func idField(name string, synonyms []string, help, example string) pipeline.Field {
	return pipeline.Field{Name: name, Synonyms: synonyms, Type: pipeline.Integer, Min: 1, Max: maxID, Help: help, Example: example}
}

// Kind is onefile-standards: one row per learner put on a standard.
var Kind = &pipeline.Kind{
	Name:       "onefile-standards",
	Title:      "OneFile learning aims: learners put on standards and framework templates",
	Target:     "onefile",
	SheetHints: []string{"standard", "learning aim", "aims"},
	MinMatch:   2,
	Fields: []pipeline.Field{
		idField("LearnerID", []string{"Learner ID", "Learner User ID"}, "OneFile user ID of the learner", "1010"),
		{Name: "LearnerMISID", Synonyms: []string{"Learner MISID", "Learner MIS ID", "Learner Ref", "Learner Reference", "LearnRefNumber"}, MaxLen: schema.MaxMISID,
			Help: "MISID of the learner, a row of this run or a learner on OneFile", Example: "L000123"},
		{Name: "LearnerEmail", Synonyms: []string{"Learner Email", "Learner E-mail"}, Type: pipeline.Email, MaxLen: schema.MaxEmail,
			Help: "e-mail of the learner, a row of this run or a learner on OneFile", Example: "amira.khan@example.ac.uk"},
		idField("StandardID", []string{"Standard ID"}, "OneFile standard ID the learner is put on (a new learning aim)", "301"),
		{Name: "StandardTitle", Synonyms: []string{"Standard", "Standard Title", "Standard Name", "Learning Aim"}, MaxLen: 255,
			Help: "the standard by title, looked up on OneFile", Example: "Business Administrator (Level 3)"},
		idField("FrameworkTemplateID", []string{"Framework Template ID", "Template ID", "FrameworkTemplate"},
			"optional: OneFile framework template the learner is also put on", "401"),
	},
}

var (
	fLearnerID     = Kind.MustField("LearnerID")
	fLearnerMISID  = Kind.MustField("LearnerMISID")
	fLearnerEmail  = Kind.MustField("LearnerEmail")
	fStandardID    = Kind.MustField("StandardID")
	fStandardTitle = Kind.MustField("StandardTitle")
	fTemplateID    = Kind.MustField("FrameworkTemplateID")

	learnerFields  = []int{fLearnerID, fLearnerMISID, fLearnerEmail}
	standardFields = []int{fStandardID, fStandardTitle}
)

func init() {
	Kind.RowRules = []func(*pipeline.Row){checkRow}
	Kind.NewCross = newCross
	Kind.Key = key
}

// Aim is a valid onefile-standards row.
type Aim struct {
	Learner  onefile.UserRef
	Standard onefile.NamedRef
	// FrameworkTemplateID is 0 when the row puts the learner on no template.
	FrameworkTemplateID int64 `json:",omitempty"`
}

// AimOf converts a onefile-standards row that passed validation, copying its strings (the
// pipeline reuses rows).
func AimOf(r *pipeline.Row) (Aim, error) {
	if r.Kind() != Kind {
		return Aim{}, fmt.Errorf("row %d is a %s row, not %s", r.Rec.Row, r.Kind().Name, Kind.Name)
	}
	var err error
	id := func(f int) int64 {
		v := r.Value(f)
		if err != nil || v == "" {
			return 0
		}
		n, ok := check.Integer(v)
		if !ok {
			err = fmt.Errorf("row %d: %s %q is not a whole number", r.Rec.Row, Kind.Fields[f].Name, v)
		}
		return n
	}
	a := Aim{
		Learner:             onefile.UserRef{ID: id(fLearnerID), MISID: strings.Clone(r.Value(fLearnerMISID)), Email: strings.Clone(r.Value(fLearnerEmail))},
		Standard:            onefile.NamedRef{ID: id(fStandardID), Name: strings.Clone(r.Value(fStandardTitle))},
		FrameworkTemplateID: id(fTemplateID),
	}
	return a, err
}

func filled(r *pipeline.Row, fs []int) bool {
	for _, f := range fs {
		if r.Value(f) != "" {
			return true
		}
	}
	return false
}

func names(fs []int) string {
	var ns []string
	for _, f := range fs {
		ns = append(ns, Kind.Fields[f].Name)
	}
	if len(ns) == 2 {
		return ns[0] + " or " + ns[1]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " or " + ns[len(ns)-1]
}

func checkRow(r *pipeline.Row) {
	if !filled(r, learnerFields) {
		r.Errorf(fLearnerMISID, pipeline.RuleRequired, "A learning aim needs the learner: fill %s.", names(learnerFields))
	}
	if !filled(r, standardFields) {
		r.Errorf(fStandardID, pipeline.RuleRequired, "A learning aim needs the standard: fill %s.", names(standardFields))
	}
	if v := r.Value(fLearnerMISID); v != "" && check.ExcelScientific(v) {
		r.Errorf(fLearnerMISID, pipeline.RuleExcelMangled, "LearnerMISID %q is in scientific notation: a spreadsheet has rounded the number and the real digits are lost. Format the column as Text in the source and export again.", v)
	}
}

// key identifies a learning aim from one file to the next: the learner and the standard, each
// by the first key the row gives. "" when either is missing.
func key(r *pipeline.Row) string {
	l, s := first(r, learnerFields), first(r, standardFields)
	if l == "" || s == "" {
		return ""
	}
	return l + ";" + s
}

func first(r *pipeline.Row, fs []int) string {
	for _, f := range fs {
		if v := r.Value(f); v != "" {
			return Kind.Fields[f].Name + "=" + strings.ToLower(v)
		}
	}
	return ""
}

// cross checks the learner references across the run and rejects the second row putting the
// same learner on the same standard (OneFile refuses a repeat).
type cross struct {
	refs *onefile.LearnerRefs
	seed maphash.Seed
	seen map[uint64]where
}

type where struct {
	src *pipeline.Source
	row int
}

func newCross(st *pipeline.RunState) pipeline.Cross {
	return &cross{refs: onefile.NewLearnerRefs(st), seed: maphash.MakeSeed(), seen: map[uint64]where{}}
}

func (c *cross) Check(r *pipeline.Row) {
	c.refs.Check(r, fLearnerMISID, fLearnerEmail)
	k := key(r)
	if k == "" {
		return
	}
	h := maphash.String(c.seed, k)
	if w, dup := c.seen[h]; dup {
		at := fmt.Sprintf("row %d", w.row)
		if w.src != r.Rec.Src {
			at += " of " + w.src.Where()
		}
		r.Errorf(fStandardID, pipeline.RuleDuplicate, "The same learner is put on the same standard on %s; OneFile refuses a repeat, so this row is rejected.", at)
		return
	}
	c.seen[h] = where{r.Rec.Src, r.Rec.Row}
}

func (c *cross) Finish(rep func(pipeline.Problem)) { c.refs.Finish(rep) }
