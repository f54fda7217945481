package main

import "github.com/bulkload/bulk/internal/app"

// The words of numbers, as the use cases' own lines use them (internal/app/render.go).
var (
	thousands = app.Thousands
	plural    = app.Plural
)
