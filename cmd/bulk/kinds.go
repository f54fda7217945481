package main

// The kinds register themselves with the pipeline when their packages load.
import (
	_ "github.com/bulkload/bulk/formats/coursesxml"
	_ "github.com/bulkload/bulk/formats/externalcsv"
	_ "github.com/bulkload/bulk/formats/onefile"
	_ "github.com/bulkload/bulk/formats/trainingcsv"
)
