//go:build unix

// (unix only: peak memory is read with getrusage, which Windows does not have.)

// Command measure times `bulk export training-history` on a generated file against a bare
// encoding/csv read-and-write copy of the same file, each as its own process, in the same run,
// and reports rows per second, their ratio and the peak resident memory of each. It exits 1
// when the export is slower than half the copy or its peak RSS reaches 100 MB.
//
//	go run ./bench/peoplefluent/measure -bulk ./bulk -rows 1000000
//
// run.sh builds both and runs it.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	pfbench "github.com/bulkload/bulk/bench/peoplefluent"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-copy" { // the baseline, run as a child process
		if _, err := pfbench.Copy(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	bulk := flag.String("bulk", "", "the bulk binary to measure")
	rows := flag.Int("rows", 1_000_000, "data rows in the generated file")
	runs := flag.Int("runs", 3, "runs of each; medians are compared")
	dir := flag.String("dir", "", "work folder (default: a temporary one)")
	flag.Parse()
	if *bulk == "" {
		fmt.Fprintln(os.Stderr, "measure: give -bulk PATH (run.sh builds it)")
		os.Exit(2)
	}
	if err := measure(*bulk, *rows, *runs, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

type result struct {
	wall   time.Duration
	cpu    time.Duration // user + system, all threads: what a busy machine cannot inflate
	maxRSS int64         // bytes
}

func measure(bulk string, rows, runs int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "pfbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	small := rows / 10
	in := filepath.Join(dir, "training.csv")
	inSmall := filepath.Join(dir, "training-small.csv")
	if err := pfbench.WriteTrainingHistory(in, rows); err != nil {
		return err
	}
	if err := pfbench.WriteTrainingHistory(inSmall, small); err != nil {
		return err
	}
	st, _ := os.Stat(in)
	fmt.Printf("input: %d rows, %.1f MB, %d columns (training history, synonyms for headers)\n", rows, float64(st.Size())/1e6, len(pfbench.TrainingHeader))

	out := filepath.Join(dir, "payload.csv")
	exportArgs := func(input string) []string {
		return []string{"export", "training-history", input, "-o", out, "--report", filepath.Join(dir, "report"), "-q"}
	}
	var cp, ex []result
	for i := 0; i < runs; i++ { // interleaved, so a busy machine slows both alike
		r, err := child(self, "-copy", in, filepath.Join(dir, "copy.csv"))
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		cp = append(cp, r)
		if r, err = child(bulk, exportArgs(in)...); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		ex = append(ex, r)
		if n, err := dataLines(out); err != nil || n != rows {
			return fmt.Errorf("the payload has %d rows of %d (%v)", n, rows, err)
		}
	}
	exSmall, err := child(bulk, exportArgs(inSmall)...)
	if err != nil {
		return fmt.Errorf("export (small): %w", err)
	}
	mc, me := median(cp), median(ex)
	ratio := mc.wall.Seconds() / me.wall.Seconds()
	fmt.Printf("%-34s %12s %14s %10s %12s\n", "", "median wall", "rows/s", "peak RSS", "CPU/row")
	line := func(name string, r result, n int, rss int64) {
		fmt.Printf("%-34s %12s %14.0f %7.1f MB %10.2fus\n", name, r.wall.Round(time.Millisecond), float64(n)/r.wall.Seconds(), mb(rss), float64(r.cpu.Microseconds())/float64(n))
	}
	line("encoding/csv copy (baseline)", mc, rows, maxRSS(cp))
	line("bulk export training-history", me, rows, maxRSS(ex))
	line(fmt.Sprintf("bulk export, %d rows", small), exSmall, small, exSmall.maxRSS)
	fmt.Printf("runs: copy %v, export %v; load average %s\n", walls(cp), walls(ex), loadavg())
	fmt.Printf("ratio export/copy: %.2f (bar: >= 0.50); peak RSS %.1f MB (bar: < 100 MB)\n", ratio, mb(maxRSS(ex)))
	var fails []error
	if ratio < 0.5 {
		fails = append(fails, fmt.Errorf("export runs at %.2f x the copy's rows/s, below 0.5", ratio))
	}
	if maxRSS(ex) >= 100<<20 {
		fails = append(fails, fmt.Errorf("export peak RSS %.1f MB, not under 100 MB", mb(maxRSS(ex))))
	}
	return errors.Join(fails...)
}

// child runs a program and returns its wall time and peak resident set size.
func child(name string, args ...string) (result, error) {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return result{}, errors.New("no resource usage on this system")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return result{wall: wall, cpu: cpu, maxRSS: ru.Maxrss * 1024}, nil // Linux reports kilobytes
}

func median(rs []result) result {
	s := append([]result(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].wall < s[j].wall })
	return s[len(s)/2]
}

func maxRSS(rs []result) int64 {
	var m int64
	for _, r := range rs {
		m = max(m, r.maxRSS)
	}
	return m
}

func walls(rs []result) []time.Duration {
	var out []time.Duration
	for _, r := range rs {
		out = append(out, r.wall.Round(time.Millisecond))
	}
	return out
}

// loadavg says how busy the machine was: on a shared machine the wall-clock ratio moves with it.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func dataLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	n := -1 // the header
	for {
		_, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
