package capacity_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/shardlab/shardlab/capacity"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

// BenchmarkSimulate reports simulated ops per wall-clock second
// (sim-ops/s) for a few loads; the goal is at least 5 million on one core,
// so that plan's 10 partition counts x 5 core counts answer in seconds.
func BenchmarkSimulate(b *testing.B) {
	cal := synthetic(capacity.Empirical([]float64{60, 80, 90, 100, 120, 200, 900}), 0.5)
	sustained, _ := sim.NewMix(map[model.OpKind]float64{
		model.OpFindServer: 40, model.OpRouteToServer: 30, model.OpRegisterServer: 20, model.OpBind: 10})
	writes, _ := sim.NewMix(map[model.OpKind]float64{model.OpBind: 50, model.OpUnbind: 20, model.OpFindServer: 30})
	for _, tc := range []struct {
		name string
		cfg  capacity.Config
	}{
		{"load=closed/mix=sustained/cores=16/workers=16/partitions=64", capacity.Config{Cores: 16, Workers: 16, Partitions: 64, Mix: sustained}},
		{"load=closed/mix=writes-zipf/cores=2/workers=8/partitions=4", capacity.Config{Cores: 2, Workers: 8, Partitions: 4, Mix: writes, Keys: sim.Keys{Dist: sim.DistZipfian}}},
		{"load=closed/mix=writes-zipf/cores=64/workers=64/partitions=256", capacity.Config{Cores: 64, Workers: 64, Partitions: 256, Mix: writes, Keys: sim.Keys{Dist: sim.DistZipfian}}},
		{"load=connections/n=100000/cores=16", capacity.Config{Cores: 16, Connections: 100_000, Think: 100 * time.Millisecond, Partitions: 64, Mix: sustained}},
		{"load=open/cores=16/partitions=64", capacity.Config{Cores: 16, Rate: 50e6, Partitions: 64, Mix: sustained}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := tc.cfg
			cfg.Calibration, cfg.Ops, cfg.Warmup = cal, 500_000, 1
			b.ReportAllocs()
			var ops int64
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				cfg.Seed = uint64(i + 1)
				if _, err := capacity.Simulate(cfg); err != nil {
					b.Fatal(err)
				}
				ops += cfg.Ops + cfg.Warmup
			}
			b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "sim-ops/s")
			// On a shared machine the wall clock also counts other
			// processes' turns; the CPU time this process used does not.
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(ops)/cpu.Seconds(), "sim-ops/cpu-s")
			}
		})
	}
}

func ExampleSimulate() {
	cal := synthetic(capacity.Fixed(200), 0.5)
	m, _ := sim.NewMix(map[model.OpKind]float64{model.OpFindServer: 1})
	res, err := capacity.Simulate(capacity.Config{Calibration: cal, Cores: 2, Workers: 2, Partitions: 16, Mix: m, Ops: 10_000})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.0f ops/s, p99 %d ns\n", res.Throughput, res.Latency.P99)
	// Output: 10000000 ops/s, p99 200 ns
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
