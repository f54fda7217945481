//go:build unix

// (unix only: peak memory is read with getrusage, which Windows does not have.)

// Command xlsxmem writes a big learner workbook the way Excel and LibreOffice store one (every
// text cell a shared string) and measures what reading it costs. run.sh drives it.
//
//	xlsxmem gen -rows 1000000 -o learners.xlsx   # write the workbook
//	xlsxmem excelize learners.xlsx               # the baseline: excelize's Rows over every row
//	xlsxmem validate learners.xlsx              # bulk validate --kind onefile-users, in this
//	                                             # process, with the runtime's memory sampled
//	xlsxmem heap learners.xlsx [-profile heap.pb.gz]
//	                                             # the live heap once bulk's reader has loaded the
//	                                             # workbook (shared strings and styles), and a
//	                                             # heap profile of it
//
// The workbook is bench/learners' WriteXLSX: valid onefile-users learners, every text cell a
// shared string, as Excel and LibreOffice write them.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/bench/learners"
	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		rows := fs.Int("rows", 1_000_000, "learner rows")
		out := fs.String("o", "learners.xlsx", "the workbook to write")
		seed := fs.Uint64("seed", 1, "random seed")
		numeric := fs.Bool("numeric-ids", false, "store digit-only columns (ULN, IDs, L12) as numbers, not text")
		fs.Parse(os.Args[2:])
		err = gen(*out, *rows, *seed, learners.XLSXOptions{NumericIDs: *numeric})
	case "excelize":
		if len(os.Args) != 3 {
			usage()
		}
		var n int
		n, err = excelizeRows(os.Args[2])
		if err == nil {
			fmt.Println(n, "rows")
		}
	case "validate":
		fs := flag.NewFlagSet("validate", flag.ExitOnError)
		fs.Parse(os.Args[2:])
		if fs.NArg() != 1 {
			usage()
		}
		err = validate(fs.Arg(0))
	case "heap":
		fs := flag.NewFlagSet("heap", flag.ExitOnError)
		profile := fs.String("profile", "", "write a heap profile of the loaded reader here")
		fs.Parse(os.Args[2:])
		if fs.NArg() != 1 {
			usage()
		}
		err = heap(fs.Arg(0), *profile)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlsxmem:", err)
		os.Exit(1)
	}
}

func gen(path string, rows int, seed uint64, o learners.XLSXOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := learners.WriteXLSX(w, rows, seed, o)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d rows, %d text cells, %d distinct strings (%.1f MB of text)\n", path, rows, st.Cells, st.Strings, float64(st.TextBytes)/1e6)
	return nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: xlsxmem gen [-rows N] [-o FILE] [-numeric-ids] | excelize FILE | validate FILE | heap [-profile OUT] FILE")
	os.Exit(2)
}

// excelizeRows is the baseline of the speed target: open the workbook with excelize and take
// every row's cells with its streaming iterator.
func excelizeRows(path string) (int, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for _, sh := range f.GetSheetList() {
		rows, err := f.Rows(sh)
		if err != nil {
			return n, err
		}
		for rows.Next() {
			cells, err := rows.Columns()
			if err != nil {
				return n, err
			}
			if len(cells) > 0 {
				n++
			}
		}
		if err := rows.Close(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// heap opens the workbook with bulk's reader and starts its first table, which loads the styles
// and the shared string table, then reports the live heap: the reader's cost before any row.
func heap(path, profile string) error {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	in, err := read.Open(path, read.Options{})
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := in.NextTable(); err != nil {
		return err
	}
	load := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("loaded in %.2f s; live heap %.1f MB (%.1f MB before opening)\n", load.Seconds(),
		float64(after.HeapAlloc)/1e6, float64(before.HeapAlloc)/1e6)
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.WriteHeapProfile(pf); err != nil {
			pf.Close()
			return err
		}
		if err := pf.Close(); err != nil {
			return err
		}
	}
	runtime.KeepAlive(in)
	return nil
}

// validate does what 'bulk validate --kind onefile-users' does, in this process, sampling the
// runtime's memory every 10 ms: the live heap, what the heap holds in all (live and garbage not
// yet collected) and everything the runtime has from the system, against the peak RSS.
func validate(path string) error {
	names := []string{
		"/memory/classes/heap/objects:bytes",  // live and dead objects not yet swept
		"/memory/classes/heap/unused:bytes",   // heap spans held, nothing in them
		"/memory/classes/heap/free:bytes",     // free spans not returned to the system
		"/memory/classes/total:bytes",         // all the runtime has mapped
		"/memory/classes/heap/released:bytes", // returned to the system (in total, not resident)
		"/gc/heap/live:bytes",                 // live after the last GC
	}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	peak := make([]uint64, len(names))
	var peakResident uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			for i := range samples {
				peak[i] = max(peak[i], samples[i].Value.Uint64())
			}
			peakResident = max(peakResident, samples[3].Value.Uint64()-samples[4].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	t0 := time.Now()
	in, err := read.Open(path, read.Options{})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "xlsxmem-report")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rep := report.New(dir, false)
	rep.AddInput(path)
	err = pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Reporter: rep})
	in.Close()
	if err == nil {
		err = rep.Write()
	}
	close(done)
	<-stopped
	if err != nil {
		return err
	}
	c := rep.Counts()
	if c.Valid != c.Read {
		return fmt.Errorf("%d of %d rows valid: the benchmark workbook must be valid", c.Valid, c.Read)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fmt.Printf("%d rows in %.2f s\n", c.Read, time.Since(t0).Seconds())
	fmt.Printf("peak live heap after a GC %.1f MB; heap objects (live + garbage) %.1f MB; runtime resident %.1f MB; process max RSS %.1f MB\n",
		mb(peak[5]), mb(peak[0]), mb(peakResident), float64(ru.Maxrss)/1024)
	return nil
}
