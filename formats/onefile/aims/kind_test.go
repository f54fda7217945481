package aims

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

type reporter struct{ problems []string }

func (c *reporter) Table(_ *pipeline.Source, _ *pipeline.Kind, ps []pipeline.Problem) {
	for _, p := range ps {
		c.add(p)
	}
}
func (c *reporter) Row(r *pipeline.Row, _ pipeline.Outcome) {
	for _, p := range r.Problems {
		c.add(p)
	}
}
func (c *reporter) Problem(p pipeline.Problem) { c.add(p) }
func (c *reporter) add(p pipeline.Problem) {
	c.problems = append(c.problems, fmt.Sprintf("%s:%d %s %s %s", p.Sheet, p.Row, p.Severity, p.Rule, p.Message))
}

// validate runs a users sheet and a standards sheet (cells split on '|') through the pipeline.
func validate(t *testing.T, users []string, aims []string) (*reporter, []Aim) {
	t.Helper()
	u := pipelinetest.NewTable("term.xlsx", "Learners", strings.Split("Role|FirstName|LastName|Email|MISID|DefaultAssessorID|ClassroomID|PlacementID", "|"))
	for _, r := range users {
		u.Rows = append(u.Rows, strings.Split(r, "|"))
	}
	a := pipelinetest.NewTable("term.xlsx", "Standards", strings.Split("LearnerID|LearnerMISID|LearnerEmail|StandardID|StandardTitle|FrameworkTemplateID", "|"))
	for _, r := range aims {
		a.Rows = append(a.Rows, strings.Split(r, "|"))
	}
	rep := &reporter{}
	var got []Aim
	sink := sinkFunc(func(r *pipeline.Row) error {
		if r.Kind() == Kind {
			x, err := AimOf(r)
			if err != nil {
				t.Errorf("AimOf: %v", err)
			}
			got = append(got, x)
		}
		return nil
	})
	err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(a, u)},
		pipeline.Options{Among: []*pipeline.Kind{onefile.Users, onefile.Assignments, Kind}, Reporter: rep, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	return rep, got
}

type sinkFunc func(r *pipeline.Row) error

func (f sinkFunc) Accept(r *pipeline.Row) error { return f(r) }

func TestRules(t *testing.T) {
	users := []string{
		"1|Ann|Aim|ann@learner.example|L-1|1001|101|201",
		"5|Sam|Staff|sam@college.example|S-1|||",
	}
	tests := []struct {
		name string
		rows []string
		want []string // substrings of the problems, in any order; none when empty
	}{
		{"by MISID of a learner on another sheet, after it", []string{"|L-1||301||"}, nil},
		{"by e-mail, by title, with a template", []string{"||ann@learner.example||Business Administrator|401"}, nil},
		{"by ID (on OneFile)", []string{"1010|||301||"}, nil},
		{"no learner", []string{"||||301|"}, []string{"Standards:2 error required A learning aim needs the learner: fill LearnerID, LearnerMISID or LearnerEmail"}},
		{"no standard", []string{"|L-1||||401"}, []string{"Standards:2 error required A learning aim needs the standard: fill StandardID or StandardTitle"}},
		{"staff named as the learner", []string{"|S-1||301||"}, []string{"Standards:2 error reference LearnerMISID \"S-1\" names row 3 of term.xlsx, sheet Learners"}},
		{"a learner in no file", []string{"|L-404||301||"}, []string{"warning reference LearnerMISID \"L-404\" is not in the files given"}},
		{"the same aim twice", []string{"|L-1||301||", "|l-1||301||401"}, []string{"Standards:3 error duplicate The same learner is put on the same standard on row 2"}},
		{"mangled MISID", []string{"|1.23457E+11||301||"}, []string{"error excel-mangled LearnerMISID \"1.23457E+11\" is in scientific notation"}},
		{"template ID not a number", []string{"|L-1||301||tpl"}, []string{"FrameworkTemplateID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, _ := validate(t, users, tt.rows)
			got := strings.Join(rep.problems, "\n")
			if len(tt.want) == 0 && got != "" {
				t.Errorf("problems:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("no problem %q in:\n%s", w, got)
				}
			}
		})
	}
}

func TestAimOf(t *testing.T) {
	_, got := validate(t, nil, []string{"1010|L-9|x@y.example|301|Business Administrator|401", "||z@y.example||Customer Service|"})
	if len(got) != 2 {
		t.Fatalf("%d aims: %+v", len(got), got)
	}
	a := got[0]
	if a.Learner.ID != 1010 || a.Learner.MISID != "L-9" || a.Learner.Email != "x@y.example" || a.Standard.ID != 301 || a.Standard.Name != "Business Administrator" || a.FrameworkTemplateID != 401 {
		t.Errorf("first aim %+v", a)
	}
	if b := got[1]; b.Learner.Email != "z@y.example" || b.Standard.ID != 0 || b.Standard.Name != "Customer Service" || b.FrameworkTemplateID != 0 {
		t.Errorf("second aim %+v", b)
	}
}
