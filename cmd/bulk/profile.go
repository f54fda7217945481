package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole run to the file named by BULK_CPUPROFILE, when
// set: how cmd/bulk/default.pgo (the profile the compiler optimises bulk with) is made again
// after the hot code changes, and what a user sends when a run is slower than it should be. The
// returned function finishes the file; it must run before the process exits.
func startProfile(getenv func(string) string) func() {
	path := getenv("BULK_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bulk: cannot write the CPU profile BULK_CPUPROFILE names: %v\n", err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "bulk: writing the CPU profile %s: %v\n", path, err)
		}
	}
}
