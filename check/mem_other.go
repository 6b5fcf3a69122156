//go:build !linux

package check

// totalMemory returns 0: the machine's memory is not known here.
func totalMemory() uint64 { return 0 }
