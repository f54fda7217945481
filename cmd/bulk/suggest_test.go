package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestFlagErrors runs mistyped command lines through the real root command: every flag error
// is exit status 2 with the usage hint, and the nearest flag when there is one.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says []string
	}{
		{[]string{"rules", "--fromat", "json"}, []string{"unknown flag: --fromat", "Did you mean --format?", "Run 'bulk rules --help' for usage."}},
		{[]string{"rules", "--fromat=json"}, []string{"Did you mean --format?"}},
		{[]string{"rules", "-format", "json"}, []string{"Did you mean --format? Long flags take two dashes."}},
		{[]string{"template", "--outptu", "x.xlsx", "onefile-users"}, []string{"Did you mean --output?"}},
		{[]string{"template", "--al"}, []string{"Did you mean --all?"}},
		{[]string{"validate", "--reprot", "out", "x.csv"}, []string{"Did you mean --report?", "Run 'bulk validate --help' for usage."}},
		{[]string{"validate", "--nonsense"}, []string{"unknown flag: --nonsense", "Run 'bulk validate --help' for usage."}},
		{[]string{"--verison"}, []string{"unknown flag: --verison"}},
		{[]string{"kinds", "--format"}, []string{"flag needs an argument"}},
	} {
		code, out, errOut := obBulk(t, tc.args...)
		if code != ExitCannotRun || out != "" {
			t.Errorf("bulk %s: exit %d, stdout %q; want exit 2 and nothing on stdout", strings.Join(tc.args, " "), code, out)
		}
		for _, s := range tc.says {
			if !strings.Contains(errOut, s) {
				t.Errorf("bulk %s: stderr %q does not say %q", strings.Join(tc.args, " "), errOut, s)
			}
		}
		if strings.Contains(errOut, "nonsense") && strings.Contains(errOut, "Did you mean") {
			t.Errorf("bulk %s: suggests a flag for nonsense: %q", strings.Join(tc.args, " "), errOut)
		}
	}
}

// examplesPending lists commands, owned elsewhere, whose help has no examples yet. The test fails
// when one of them gets examples (strike it off) as well as when any other command has none.
var examplesPending = map[string]string{}

// TestEveryCommandHasExamples: each command's --help shows how it is used. Groups that only hold
// subcommands (bulk push, bulk sandbox) list them in their help, and those have the examples.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRoot(newApp(strings.NewReader(""), new(strings.Builder), new(strings.Builder)))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			has := strings.TrimSpace(sub.Example) != ""
			owner, pending := examplesPending[sub.CommandPath()]
			switch {
			case sub.HasSubCommands():
			case !has && !pending:
				t.Errorf("'%s --help' shows no examples: set Example", sub.CommandPath())
			case has && pending:
				t.Errorf("'%s --help' has examples now: strike it off examplesPending", sub.CommandPath())
			case pending:
				t.Logf("'%s --help' still has no examples (%s)", sub.CommandPath(), owner)
			}
			walk(sub)
		}
	}
	walk(root)
}

func TestSuggestSubcommands(t *testing.T) {
	root := &cobra.Command{Use: "bulk", SilenceErrors: true, SilenceUsage: true}
	group := &cobra.Command{Use: "sandbox", Short: "stand-ins"}
	for _, name := range []string{"onefile", "peoplefluent"} {
		group.AddCommand(&cobra.Command{Use: name, RunE: func(*cobra.Command, []string) error { return nil }})
	}
	root.AddCommand(group)
	suggestSubcommands(root)
	for _, tc := range []struct {
		args []string
		code int // 0: no error
		says string
	}{
		{[]string{"sandbox"}, 0, "Available Commands"}, // the group alone: its help
		{[]string{"sandbox", "onefile"}, 0, ""},
		{[]string{"sandbox", "onefle"}, 2, "Did you mean 'bulk sandbox onefile'?"},
		{[]string{"sandbox", "people"}, 2, "Did you mean 'bulk sandbox peoplefluent'?"}, // a prefix
		{[]string{"sandbox", "xyz"}, 2, "Run 'bulk sandbox --help' for its commands."},
	} {
		var out strings.Builder
		root.SetOut(&out)
		root.SetArgs(tc.args)
		err := root.Execute()
		var ee *ExitError
		switch {
		case tc.code == 0 && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.code == 0 && !strings.Contains(out.String(), tc.says):
			t.Errorf("%q printed %q, want %q", tc.args, out.String(), tc.says)
		case tc.code != 0 && (!errors.As(err, &ee) || ee.Code != tc.code || !strings.Contains(ee.Hint, tc.says)):
			t.Errorf("%q: %v (%+v), want exit %d and %q", tc.args, err, ee, tc.code, tc.says)
		}
	}
}
