package report

import (
	"context"
	"fmt"
	"github.com/shardlab/shardlab/internal/units"
	"io"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/store"
)

// QuickCheckPartitions are the sharded registry's layouts the quick
// campaign checks: one partition (every operation contends), a few (most
// cross-partition operations span two locks) and the seed's 64.
var QuickCheckPartitions = []int{1, 4, 64}

// quickCampaign is the quick campaign's shape (check.Campaign's defaults),
// spelled out so the report describes what ran.
var quickCampaign = check.Campaign{Histories: 100, Clients: 8, Ops: 30, Keys: 8, Long: 1, LongOps: 2000, LongKeys: 256}

// RunQuickCheck runs check.Campaign in quickCampaign's shape against the sharded registry at each of QuickCheckPartitions,
// from seed. Failing histories are kept in artifacts.
func RunQuickCheck(ctx context.Context, seed uint64, host store.Host, artifacts string, progress io.Writer) (*store.CheckSummary, error) {
	s := &store.CheckSummary{
		SchemaVersion: store.CheckSchemaVersion, Created: time.Now().UTC(), Host: host, Seed: seed,
		Method: "check.Campaign: porcupine linearizability of recorded concurrent histories against model.State, partitioned by key cluster",
	}
	for _, p := range QuickCheckPartitions {
		parts := p
		c := quickCampaign
		c.Name, c.Seed, c.OutDir = fmt.Sprintf("sharded-p%d", parts), seed, artifacts
		c.NewRegistry = func() (model.Registry, error) { return impl.New(impl.Options{Partitions: parts}) }
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
