package main

import (
	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/internal/kinddoc"
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
				return kinddoc.WriteJSON(a.Stdout, kinddoc.RulesDoc{Rules: append([]pipeline.Rule{}, catalog.Rules()...)})
			}
			return kinddoc.WriteRules(a.Stdout, catalog.Rules())
		},
	}
	formatFlag(cmd, &format)
	return cmd
}
