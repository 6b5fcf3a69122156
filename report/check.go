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

// CampaignMethod says how a campaign decides, for check.json.
const CampaignMethod = "check.Campaign: porcupine linearizability of recorded concurrent histories against model.State, partitioned by key cluster"

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
		Method: CampaignMethod,
	}
	for _, p := range QuickCheckPartitions {
		parts := p
		c := quickCampaign
		c.Name, c.Seed, c.OutDir = fmt.Sprintf("sharded-p%d", parts), seed, artifacts
		c.NewRegistry = func() (model.Registry, error) { return impl.New(impl.Options{Partitions: parts}) }
		res, err := c.Run(ctx)
		if err != nil && ctx.Err() != nil {
			return nil, err
		}
		run := CampaignRecord(c, parts, res, err)
		if progress != nil {
			fmt.Fprintf(progress, "check: %s %s after %d histories (%d ops)\n", c.Name, run.Outcome, run.Histories, run.Ops)
		}
		s.Runs = append(s.Runs, run)
	}
	return s, nil
}

// CampaignRecord is a campaign's outcome as check.json records it: the
// quick campaign's runs and `shardlab check`'s, sharded or not. A
// campaign that stopped with an error (a stall, a registry that could not
// be built) is recorded as undecided with the error.
func CampaignRecord(c check.Campaign, partitions int, res check.CampaignResult, err error) store.CheckRun {
	none := func(n int) int { return max(n, 0) } // a negative count runs none
	run := store.CheckRun{
		Registry: c.Name, Partitions: partitions, Outcome: res.Outcome.String(), Histories: res.Histories, Ops: res.Ops,
		Short:      fmt.Sprintf("%d histories x %d clients x %s ops over %d IDs", none(c.Histories), c.Clients, units.Commas(c.Ops), c.Keys),
		Long:       fmt.Sprintf("%d long x %d clients x %s ops over %d IDs", none(c.Long), c.Clients, units.Commas(c.LongOps), c.LongKeys),
		RunSeconds: res.RunTime.Seconds(), CheckSeconds: res.CheckTime.Seconds(),
	}
	if res.Failure != nil {
		run.Failure = fmt.Sprintf("history %d (long=%t, seed %d, stream %d): %s", res.Failure.Index, res.Failure.Long,
			res.Failure.Seed, res.Failure.Stream, res.Failure.Verdict.Description)
		run.HistoryPath = res.Failure.HistoryPath
		idx := res.Failure.Index
		run.FailureIndex = &idx
	}
	if err != nil {
		run.Error = err.Error()
		if run.Outcome == check.Ok.String() {
			run.Outcome = check.Undecided.String()
		}
	}
	return run
}
