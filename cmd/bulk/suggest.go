package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
	if s := suggest(typed, names); len(s) > 0 {
		ue.Hint = fmt.Sprintf("Did you mean --%s?\n%s", strings.Join(s, " or --"), ue.Hint)
	}
	return ue
}

// suggest returns the candidates close to typed: within a few edits (more for longer words), or
// starting with it. Nearest first, at most three.
func suggest(typed string, candidates []string) []string {
	typed = strings.ToLower(typed)
	limit := 2 // "fromat" for "format": a swap is two edits
	switch {
	case len(typed) <= 4:
		limit = 1 // two edits turn "tcsh" into "bash": no help
	case len(typed) >= 8:
		limit = 3
	}
	type near struct {
		name string
		d    int
	}
	var ns []near
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] || c == "" {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := levenshtein(typed, lc)
		if d <= limit || (len(typed) >= 3 && strings.HasPrefix(lc, typed)) {
			ns = append(ns, near{c, d})
		}
	}
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].d < ns[j].d })
	var out []string
	for i := 0; i < len(ns) && i < 3; i++ {
		out = append(out, ns[i].name)
	}
	return out
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
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
		if s := suggest(args[0], names); len(s) > 0 {
			hint = fmt.Sprintf("Did you mean '%s %s'?\n%s", cmd.CommandPath(), strings.Join(s, "' or '"+cmd.CommandPath()+" "), hint)
		}
		return cannotRun(fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath()), hint)
	}
}
