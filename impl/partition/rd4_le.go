//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

package partition

import "unsafe"

// rd4 reads 4 little-endian bytes at s+i with one load; the caller
// guarantees they lie within the string. These architectures are little
// endian and load unaligned words.
func rd4(s *byte, i int) uint64 {
	return uint64(*(*uint32)(unsafe.Add(unsafe.Pointer(s), i)))
}
