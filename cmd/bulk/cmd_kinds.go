package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/internal/suggest"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/kinddoc"
	"github.com/bulkload/bulk/pipeline"
)

func newKindsCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "kinds [KIND]",
		Short: "List what bulk can read: each kind's columns, which are required, their formats and limits",
		Long: `kinds lists the kinds of sheet bulk reads (learners and staff, assignments, training records...),
the target system that takes each, and their columns: required or optional, type, limits, and the
other headers bulk accepts for each (Forename for FirstName, ...).

With a KIND, it shows that kind in detail: what each column means, an example value and every value
a column with a fixed list accepts.

--format json prints the same for scripts; its keys are stable.`,
		Example: `  bulk kinds
  bulk kinds onefile-users
  bulk kinds --format json | jq -r '.kinds[].name'`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			kinds := catalog.Kinds()
			if len(args) == 1 {
				k, err := kindArg(args[0])
				if err != nil {
					return err
				}
				if format == "json" {
					return kinddoc.WriteJSON(a.Stdout, kinddoc.KindJSON(k))
				}
				return kinddoc.WriteKind(a.Stdout, k)
			}
			if format == "json" {
				return kinddoc.WriteJSON(a.Stdout, kinddoc.KindsJSON(kinds))
			}
			return kinddoc.WriteKinds(a.Stdout, kinds)
		},
	}
	formatFlag(cmd, &format)
	return cmd
}

// formatFlag adds --format text|json, completed by the shells.
func formatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", "text", "output format: text (aligned tables) or json (stable keys, for scripts)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text\taligned tables", "json\tfor scripts"}, cobra.ShellCompDirectiveNoFileComp))
}

func checkFormat(format string) error {
	if format == "text" || format == "json" {
		return nil
	}
	hint := "Use --format text or --format json."
	if s := suggest.Nearest(format, []string{"text", "json"}); len(s) > 0 {
		hint = fmt.Sprintf("Did you mean --format %s?", s[0])
	}
	return cannotRun(fmt.Errorf("--format %q: unknown format", format), hint)
}

// kindArg finds the kind a command-line argument names, or says which were meant.
func kindArg(name string) (*pipeline.Kind, error) { return app.KindByName(name) }

// completeKinds completes a KIND argument with the registered kinds and their titles.
func completeKinds(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeKindFlag(cmd, args, toComplete)
}

// completeKindFlag completes the value of a --kind flag:
// cmd.RegisterFlagCompletionFunc("kind", completeKindFlag).
func completeKindFlag(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, k := range catalog.Kinds() {
		out = append(out, k.Name+"\t"+k.Title)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
