//go:build !unix

package pipeline_test

import "time"

// cpuTime is not measured here: the benchmark then reports no cpu-x.
func cpuTime() time.Duration { return 0 }
