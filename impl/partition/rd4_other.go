//go:build !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm)

package partition

import (
	"encoding/binary"
	"unsafe"
)

// rd4 reads 4 little-endian bytes at s+i; the caller guarantees they lie
// within the string.
func rd4(s *byte, i int) uint64 {
	return uint64(binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(s), i)), 4)))
}
