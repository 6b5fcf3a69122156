package impl

import _ "unsafe" // for go:linkname

// cheaprand is the runtime's per-thread wyrand generator: about a
// nanosecond, against eight for math/rand/v2's ChaCha8, which showed up as
// an eighth of a lookup's cost when used to sample the read counter. The
// runtime keeps this symbol linkable on purpose (see runtime/rand.go); its
// output is only used to decide which reads to count, never for anything a
// test or a result depends on.
//
//go:linkname cheaprand runtime.cheaprand
func cheaprand() uint32
