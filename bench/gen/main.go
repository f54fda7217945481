// Command gen writes realistic, valid input files for benchmarks (see package learners).
//
//	go run ./bench/gen -rows 1000000 -kind onefile-users -o /tmp/learners.csv
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bulkload/bulk/bench/learners"
)

func main() {
	rows := flag.Int("rows", 1000000, "data rows to write")
	kind := flag.String("kind", "onefile-users", "what to generate (onefile-users)")
	out := flag.String("o", "", "output file (default: standard output)")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes the same file")
	flag.Parse()
	if *kind != "onefile-users" {
		fmt.Fprintf(os.Stderr, "gen: unknown kind %q (known: onefile-users)\n", *kind)
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(2)
		}
		w = f
	}
	err := learners.Write(w, *rows, *seed)
	if c, ok := w.(io.Closer); ok && w != os.Stdout {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
