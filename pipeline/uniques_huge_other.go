//go:build unix && !linux

package pipeline

func adviseHuge([]byte) {}
