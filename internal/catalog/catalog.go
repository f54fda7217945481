// Package catalog lists what bulk knows, explicitly: the kinds of sheet it reads and every rule
// code it reports. Detection, --kind, `bulk kinds`, `bulk rules`, templates and completion read
// these lists; nothing registers itself. A new kind or rule list is one line here.
package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bulkload/bulk/formats/coursesxml"
	"github.com/bulkload/bulk/formats/externalcsv"
	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/aims"
	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/trainingcsv"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
)

// kinds, sorted by name as `bulk kinds` lists them.
var kinds = sortedKinds(
	onefile.Users,
	onefile.Assignments,
	aims.Kind,
	trainingcsv.Kind,
	externalcsv.Kind,
	coursesxml.Kind,
)

// ruleLists are every package's rule codes. A code listed twice keeps its first description:
// the kinds describe onefile's reference rule as validation finds it, the loader as it resolves it.
var ruleLists = [][]pipeline.Rule{
	pipeline.Rules,
	read.Rules,
	onefile.Rules,
	load.Rules,
	trainingcsv.Rules,
	externalcsv.Rules,
	coursesxml.Rules,
	peoplefluent.Rules,
}

func sortedKinds(ks ...*pipeline.Kind) []*pipeline.Kind {
	sort.Slice(ks, func(i, j int) bool { return ks[i].Name < ks[j].Name })
	for i := 1; i < len(ks); i++ {
		if ks[i].Name == ks[i-1].Name {
			panic("catalog: kind listed twice: " + ks[i].Name)
		}
	}
	return ks
}

// Kinds returns every kind, sorted by name.
func Kinds() []*pipeline.Kind { return append([]*pipeline.Kind(nil), kinds...) }

// KindsFor returns the kinds whose target is target ("onefile", "peoplefluent").
func KindsFor(target string) []*pipeline.Kind {
	var out []*pipeline.Kind
	for _, k := range kinds {
		if k.Target == target {
			out = append(out, k)
		}
	}
	return out
}

// KindByName returns the kind called name (any case, spaces trimmed), or an error that lists the
// known ones.
func KindByName(name string) (*pipeline.Kind, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	var names []string
	for _, k := range kinds {
		if k.Name == want {
			return k, nil
		}
		names = append(names, k.Name)
	}
	return nil, fmt.Errorf("unknown kind %q; known kinds: %s", name, strings.Join(names, ", "))
}

// Rules returns every rule code bulk reports, sorted by code.
func Rules() []pipeline.Rule {
	seen := map[string]bool{}
	var out []pipeline.Rule
	for _, list := range ruleLists {
		for _, r := range list {
			if !seen[r.Code] {
				seen[r.Code] = true
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
