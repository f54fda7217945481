package main

// The kinds register themselves with the pipeline when their packages load.
import (
	_ "github.com/bulkload/bulk/formats/onefile"
)
