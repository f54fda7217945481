//go:build race

package read

// raceOn: the race detector makes reading ~15 times slower, so the biggest tests read less.
const raceOn = true
