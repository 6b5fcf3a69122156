package report

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/store"
)

// quickCheckPartitions are the sharded registry's layouts the quick
// campaign checks: one partition (every operation contends), a few (most
// cross-partition operations span two locks) and the seed's 64.
var quickCheckPartitions = []int{1, 4, 64}

// RunQuickCheck runs check.DefaultCampaign against the sharded registry
// at 1, 4 and 64 partitions, from seed, stamped now.
// Failing histories are kept in artifacts.
func RunQuickCheck(ctx context.Context, seed uint64, host store.Host, now time.Time, artifacts string, progress io.Writer) (*store.CheckSummary, error) {
	s := &store.CheckSummary{
		SchemaVersion: store.CheckSchemaVersion, Created: now.UTC(), Host: host, Seed: seed,
		Method: "check.Campaign: porcupine linearizability of recorded concurrent histories against model.State, partitioned by key cluster",
	}
	for _, p := range quickCheckPartitions {
		parts := p
		c := check.DefaultCampaign()
		c.Name, c.Seed, c.OutDir = fmt.Sprintf("sharded-p%d", parts), seed, artifacts
		c.NewRegistry = func() (model.Registry, error) {
			in, err := registries.New(registries.Sharded, spec.RegistrySpec{Partitions: parts})
			if err != nil {
				return nil, err
			}
			return in.Registry, nil
		}
		res, err := c.Run(ctx)
		run := store.CheckRun{
			Registry: c.Name, Partitions: parts, Outcome: res.Outcome.String(), Histories: res.Histories, Ops: res.Ops,
			Short:      fmt.Sprintf("%d histories x %d clients x %s ops over %d IDs", c.Histories, c.Clients, units.Commas(c.Ops), c.Keys),
			Long:       fmt.Sprintf("%d long x %d clients x %s ops over %d IDs", c.Long, c.Clients, units.Commas(c.LongOps), c.LongKeys),
			RunSeconds: res.RunTime.Seconds(), CheckSeconds: res.CheckTime.Seconds(),
		}
		if res.Failure != nil {
			run.Failure = fmt.Sprintf("history %d (long=%t, seed %d, stream %d): %s", res.Failure.Index, res.Failure.Long,
				res.Failure.Seed, res.Failure.Stream, res.Failure.Verdict.Description)
			run.HistoryPath = res.Failure.HistoryPath
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			run.Error = err.Error()
			if run.Outcome == check.Ok.String() {
				run.Outcome = check.Undecided.String()
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "check: %s %s after %d histories (%d ops)\n", c.Name, run.Outcome, run.Histories, run.Ops)
		}
		s.Runs = append(s.Runs, run)
	}
	return s, nil
}
