package sim_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

func TestZZProfile(t *testing.T) {
	reg, err := impl.New(impl.Options{Partitions: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := (sim.Preload{Servers: 10000, Transports: 10000, Bind: true}).Apply(reg); err != nil {
		t.Fatal(err)
	}
	for _, r := range []model.Registry{sim.Null{}, reg} {
		res, err := sim.ClosedLoop(context.Background(), sim.Config{
			Registry: r, Seed: 1, Servers: 10000, Transports: 10000,
			Groups:   []sim.Group{{Workers: zzWorkers(), Mix: sim.MustMix(map[model.OpKind]float64{model.OpFindServer: 1})}},
			Duration: 2 * time.Second, SampleEvery: 64,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%T: %.2fM ops/s", r, res.Throughput/1e6)
	}
}

func zzWorkers() int {
	n, err := strconv.Atoi(os.Getenv("ZZW"))
	if err != nil {
		return 100
	}
	return n
}
