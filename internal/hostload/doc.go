// Package hostload samples how busy the machine is around a measurement,
// so every result can say what else was running while it was taken: the
// load averages, the CPU time other processes used (in cores) and the
// time the hypervisor stole, where the kernel reports it (Linux
// /proc/loadavg and /proc/stat).
//
// Take a Sample before and after a measurement; Between turns the two
// into a Noise record, and Noise.Busy says whether the machine was too
// busy for the measurement to stand on its own.
//
// What it is not: a profiler or a scheduler. It reads two small kernel
// files and the process's own CPU time; on systems without them it
// returns ErrUnsupported and callers record that the load is unknown.
package hostload
