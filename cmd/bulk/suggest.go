package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulkload/bulk/internal/suggest"
)

// flagError turns a flag-parsing error into exit status 2 with the nearest flag the command does
// have ("Did you mean --format?"). cobra suggests mistyped subcommands itself, not flags.
func flagError(c *cobra.Command, err error) error {
	ue := usageError(c, err).(*ExitError)
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	msg := err.Error()
	var typed string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		typed = strings.TrimPrefix(msg, "unknown flag: --")
		typed, _, _ = strings.Cut(typed, "=")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// "-format" is read as the shorthands f, o, r...: the user meant a long flag.
		if _, word, ok := strings.Cut(msg, " in -"); ok {
			word, _, _ = strings.Cut(word, "=")
			for _, n := range names {
				if n == word {
					ue.Hint = fmt.Sprintf("Did you mean --%s? Long flags take two dashes.\n%s", n, ue.Hint)
					return ue
				}
			}
			typed = word
		}
	}
	if typed == "" {
		return ue
	}
	if s := suggest.Nearest(typed, names); len(s) > 0 {
		ue.Hint = fmt.Sprintf("Did you mean --%s?\n%s", strings.Join(s, " or --"), ue.Hint)
	}
	return ue
}

// suggestSubcommands makes every group command (one that only holds subcommands, like bulk
// sandbox) answer a mistyped subcommand as the root does: exit 2 and "Did you mean ...". cobra
// itself suggests only at the root; below it a group prints its help and exits 0, which a script
// takes for success.
func suggestSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		suggestSubcommands(sub)
	}
	if c == c.Root() || !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help() // the group alone: its help, as before
		}
		hint := fmt.Sprintf("Run '%s --help' for its commands.", cmd.CommandPath())
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if s := suggest.Nearest(args[0], names); len(s) > 0 {
			hint = fmt.Sprintf("Did you mean '%s %s'?\n%s", cmd.CommandPath(), strings.Join(s, "' or '"+cmd.CommandPath()+" "), hint)
		}
		return cannotRun(fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath()), hint)
	}
}
