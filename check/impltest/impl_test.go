package impltest

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/impl/baseline"
	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized campaigns (0: derive one from the clock and print it)")

func testSeed(t *testing.T) uint64 {
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: go test ./check/impltest -run '%s' -seed %d", t.Name(), s)
		}
	})
	return s
}

type registry struct {
	name string
	new  func() (model.Registry, error)
	inv  func(model.Registry, model.State) error
}

func sharded(p int) registry {
	return registry{
		name: fmt.Sprintf("sharded/partitions=%d", p),
		new: func() (model.Registry, error) {
			return impl.New(impl.Options{Partitions: p})
		},
		inv: statsAgree,
	}
}

// statsAgree: the impl's per-partition statistics agree with its contents.
func statsAgree(reg model.Registry, st model.State) error {
	r := reg.(*impl.Registry)
	servers, transports, _ := st.Counts()
	var entries, ss, ts int
	for _, p := range r.PartitionStats() {
		if p.Entries != p.Servers+p.Transports {
			return fmt.Errorf("partition %d: Entries %d != Servers %d + Transports %d", p.Partition, p.Entries, p.Servers, p.Transports)
		}
		entries += p.Entries
		ss += p.Servers
		ts += p.Transports
	}
	if entries != servers+transports || ss != servers || ts != transports {
		return fmt.Errorf("PartitionStats count %d entries (%d servers, %d transports), model has %d servers and %d transports",
			entries, ss, ts, servers, transports)
	}
	return nil
}

func registries() []registry {
	rs := []registry{sharded(1), sharded(4), sharded(64)}
	for _, n := range baseline.Names() {
		rs = append(rs, registry{name: n, new: func() (model.Registry, error) { return baseline.ByName(n) }})
	}
	return rs
}

func TestStateMachine(t *testing.T) {
	for _, r := range registries() {
		t.Run(r.name, rapid.MakeCheck(check.StateMachine(r.new, check.MachineOptions{Invariant: r.inv})))
	}
}

func TestConcurrentLinearizable(t *testing.T) {
	for _, r := range registries() {
		t.Run(r.name, rapid.MakeCheck(check.ConcurrentMachine(r.new, check.MachineOptions{})))
	}
}

func TestCampaign(t *testing.T) {
	seed := testSeed(t)
	for _, r := range registries() {
		t.Run(r.name, func(t *testing.T) {
			c := check.Campaign{Name: r.name, NewRegistry: r.new, Seed: seed, Histories: 40, Long: 1, LongOps: 1000, OutDir: t.TempDir()}
			if testing.Short() {
				c.Histories, c.LongOps = 15, 300
			}
			res, err := c.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != check.Ok {
				f := res.Failure
				t.Fatalf("%s in history %d (seed %d): %s\n%s\nhistory: %s\nvisualisation: %s",
					res.Outcome, f.Index, f.Seed, f.Verdict, f.Verdict.Description, f.HistoryPath, f.Verdict.HTMLPath)
			}
		})
	}
}

func FuzzSharded(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(check.StateMachine(sharded(4).new, check.MachineOptions{Invariant: statsAgree})))
}
