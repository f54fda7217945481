package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// replacedRows are the rows of a run's inputs that a rejects.xlsx given in the same run holds
// corrected: the pipeline passes the originals over, so the corrections take their place and
// no duplicate or reference check points at the row being fixed.
type replacedRows struct {
	rows map[rowAt]bool
	mu   sync.Mutex
	seen map[string][]int // input file (as reports name it) → original rows passed over
}

type rowAt struct {
	path  string // the input path as given
	sheet string
	row   int
}

// corrections reads the Origin column of each rejects.xlsx among paths and returns the rows of
// the other inputs it corrects; nil when no input is a rejects.xlsx or none of its rows comes
// from another input.
//
// An origin's input is found by its absolute path (the same file, by any name); failing that
// (the files were moved, or the workbook mailed to a colleague), by the name the reports gave
// it among the inputs, names being what reports call paths (read.Names).
func corrections(paths, names []string, ro read.Options) (*replacedRows, error) {
	var r *replacedRows
	for i, p := range paths {
		if !read.HasSheets(p) {
			continue
		}
		origins, err := read.Origins(p, ro)
		if err != nil {
			return nil, err
		}
		for _, o := range origins {
			q := originalOf(o, i, paths, names)
			if q == "" {
				continue
			}
			if r == nil {
				r = &replacedRows{rows: map[rowAt]bool{}, seen: map[string][]int{}}
			}
			r.rows[rowAt{q, o.Sheet, o.Row}] = true
		}
	}
	return r, nil
}

// originalOf is the input path among paths (other than the workbook's, self) that origin o
// names, or "".
func originalOf(o pipeline.Origin, self int, paths, names []string) string {
	for _, same := range []func(j int) bool{
		func(j int) bool { return sameFile(originPath(o.Path, paths[self]), paths[j]) },
		func(j int) bool { return names[j] == o.File },
		func(j int) bool { return filepath.Base(paths[j]) == filepath.Base(o.File) },
	} {
		for j, q := range paths {
			if j != self && same(j) && !sameFile(q, paths[self]) {
				return q
			}
		}
	}
	return ""
}

// originPath is where an Origin's path points when read in the workbook at book: relative paths
// (as bulk writes them) are from the workbook's folder.
func originPath(p, book string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(book), p)
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// has is pipeline.Options.Replaced. The reader calls it from one goroutine; the lock keeps
// report safe to call after the run whatever the pipeline becomes.
func (r *replacedRows) has(src *pipeline.Source, row int) bool {
	if !r.rows[rowAt{src.Path, src.Sheet, row}] {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[src.Where()] = append(r.seen[src.Where()], row)
	return true
}

// report says which original rows gave way to their corrections, on stderr and in
// summary.json (replaced_by_corrections).
func (r *replacedRows) report(w io.Writer, quiet bool, rep *report.Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		return
	}
	tables := make([]string, 0, len(r.seen))
	for t := range r.seen {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	sum := map[string][]int{}
	for _, t := range tables {
		rows := r.seen[t]
		sum[t] = rows
		if quiet {
			continue
		}
		nums := make([]string, len(rows))
		for i, n := range rows {
			nums[i] = strconv.Itoa(n)
		}
		word := "rows"
		if len(rows) == 1 {
			word = "row"
		}
		fmt.Fprintf(w, "%s: %s %s not read: %s corrected in the rejects workbook given with it.\n", t, word, strings.Join(nums, ", "),
			map[bool]string{true: "it is", false: "they are"}[len(rows) == 1])
	}
	rep.Set("replaced_by_corrections", sum)
}
