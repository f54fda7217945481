// Command csvread is the baseline bulk's CSV speed is measured against: Go's encoding/csv reading
// every record of a file and doing nothing else. It prints the rows read and the rows per second
// on one line.
//
// By default the reader is tuned (ReuseRecord on, widths unchecked, a 256 KiB buffer: about twice
// as fast as the defaults); with -plain it is csv.NewReader(file) with its defaults, the read
// anyone writes first, which is what the issue measured (about 1.5M rows/s).
//
//	go run ./bench/csvread /tmp/learners.csv
//	go run ./bench/csvread -plain /tmp/learners.csv
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	plain := flag.Bool("plain", false, "encoding/csv with its defaults (no ReuseRecord, its own 4 KiB buffer)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: csvread [-plain] FILE")
		os.Exit(2)
	}
	start := time.Now()
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "csvread:", err)
		os.Exit(2)
	}
	defer f.Close()
	var r *csv.Reader
	if *plain {
		r = csv.NewReader(f)
	} else {
		r = csv.NewReader(bufio.NewReaderSize(f, 256<<10))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
	}
	rows := -1 // the header is not a row
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "csvread:", err)
			os.Exit(1)
		}
		rows++
	}
	el := time.Since(start)
	fmt.Printf("rows=%d seconds=%.3f rows_per_sec=%.0f\n", rows, el.Seconds(), float64(rows)/el.Seconds())
}
