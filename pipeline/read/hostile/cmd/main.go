// Command hostile writes the hostile workbooks of package hostile into a folder, to try bulk
// on them by hand: go run ./pipeline/read/hostile/cmd /tmp/hostile
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/bulkload/bulk/pipeline/read/hostile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hostile DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	paths, err := hostile.WriteAll(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var names []string
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println(paths[n])
	}
}
