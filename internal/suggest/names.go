package suggest

import (
	"sort"
	"strings"
)

// NearestNames returns the names among candidates a person most likely meant by typed: a
// classroom, placement, standard or unit name that resolved to nothing. Names are long and
// their near misses differ by more than a word's typo ("Business Admin L3 2025" for "Business
// Admin L3 2026", "Busines Administration" for "Business Administration L3"), so a candidate is
// near when its edit distance is within a third of the longer name's length, or when every word
// typed begins a word of it. Case and runs of spaces are ignored. Nearest first, at most three.
func NearestNames(typed string, candidates []string) []string {
	t := fold(typed)
	if t == "" {
		return nil
	}
	words := strings.Fields(t)
	type near struct {
		name string
		d    int
	}
	var ns []near
	seen := map[string]bool{}
	for _, c := range candidates {
		fc := fold(c)
		if seen[fc] || fc == "" || fc == t {
			continue
		}
		seen[fc] = true
		d := Levenshtein(t, fc)
		if d*3 <= max(len([]rune(t)), len([]rune(fc))) || wordsBegin(words, strings.Fields(fc)) {
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

func fold(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// wordsBegin reports whether each of typed (two words or more) begins a different word of c, in order.
func wordsBegin(typed, c []string) bool {
	if len(typed) < 2 {
		return false
	}
	j := 0
	for _, w := range typed {
		for j < len(c) && !strings.HasPrefix(c[j], w) {
			j++
		}
		if j == len(c) {
			return false
		}
		j++
	}
	return true
}

// Quoted lists names for a message: 'a', 'b' or 'c'.
func Quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
