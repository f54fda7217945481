// Command csvread is the baseline bulk's CSV speed is measured against: Go's encoding/csv reading
// every record of a file and doing nothing else (ReuseRecord on, widths unchecked). It prints the
// rows read and the rows per second on one line.
//
//	go run ./bench/csvread /tmp/learners.csv
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: csvread FILE")
		os.Exit(2)
	}
	start := time.Now()
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "csvread:", err)
		os.Exit(2)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
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
