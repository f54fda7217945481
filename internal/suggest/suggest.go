// Package suggest finds what a user meant: the nearest flag, command, kind or sheet name to a
// mistyped one, for "Did you mean ...?" hints.
package suggest

import (
	"sort"
	"strings"
)

// Nearest returns the candidates close to typed: within a few edits (more for longer words), or
// starting with it. Nearest first, at most three.
func Nearest(typed string, candidates []string) []string {
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
		d := Levenshtein(typed, lc)
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

// Levenshtein is the edit distance between a and b, counted in runes.
func Levenshtein(a, b string) int {
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
