//go:build !race

package read

const raceOn = false
