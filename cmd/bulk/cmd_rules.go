package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/pipeline"
)

func newRulesCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule code bulk reports, what it means and a value that breaks it",
		Long: `rules lists every rule code that can appear in the rule column of rejects.csv and rejects.xlsx,
what it means, and an example of a value or situation that breaks it. Codes are stable: they are
never renamed, so scripts and spreadsheet filters may key on them.

--format json prints the same for scripts: {"rules": [{"code", "summary", "example"}, ...]}.`,
		Example: `  bulk rules
  bulk rules --format json | jq -r '.rules[].code'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.Stdout, rulesDoc{Rules: append([]pipeline.Rule{}, pipeline.Rules()...)})
			}
			return writeRules(a.Stdout, pipeline.Rules())
		},
	}
	formatFlag(cmd, &format)
	return cmd
}

// rulesDoc is the JSON of `bulk rules --format json`; pipeline.Rule's tags name its keys.
type rulesDoc struct {
	Rules []pipeline.Rule `json:"rules"`
}

func writeRules(w io.Writer, rules []pipeline.Rule) error {
	t := &textTable{head: []string{"RULE", "MEANING", "FAILS ON, FOR EXAMPLE"}, wrap: []int{0, 60, 36}}
	for _, r := range rules {
		t.add(r.Code, r.Summary, r.Example)
	}
	ew := &stickyWriter{w: w}
	t.write(ew)
	fmt.Fprintln(ew, "\nThe rule column of rejects.csv and rejects.xlsx holds these codes. Errors reject their row;")
	fmt.Fprintln(ew, "warnings (such as unknown-column) do not, unless you run with --strict.")
	return ew.err
}
