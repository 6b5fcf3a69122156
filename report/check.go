package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/registries"
	"github.com/shardlab/shardlab/store"
)

// CampaignMethod says how a campaign decides, for check.json.
const CampaignMethod = "check.Campaign: porcupine linearizability of recorded concurrent histories against model.State, partitioned by key cluster"

// quickCheckPartitions are the sharded registry's layouts the quick
// campaign checks: one partition (every operation contends), a few (most
// cross-partition operations span two locks) and the seed's 64.
var quickCheckPartitions = []int{1, 4, 64}

// RunQuickCheck runs check.DefaultCampaign against the sharded registry
// at 1, 4 and 64 partitions, from seed, stamped now.
// Failing histories are kept in artifacts.
func RunQuickCheck(ctx context.Context, seed uint64, host store.Host, now time.Time, artifacts string, progress io.Writer) (*store.CheckSummary, error) {
	return runCheck(ctx, check.DefaultCampaign(), seed, host, now, artifacts, progress)
}

// fullCampaign is the full-length report's campaign: check's defaults
// with ten times the short histories and four long ones per layout.
func fullCampaign() check.Campaign {
	c := check.DefaultCampaign()
	c.Histories *= 10
	c.Long = 4
	return c
}

func runCheck(ctx context.Context, campaign check.Campaign, seed uint64, host store.Host, now time.Time, artifacts string, progress io.Writer) (*store.CheckSummary, error) {
	s := &store.CheckSummary{
		SchemaVersion: store.CheckSchemaVersion, Created: now.UTC(), Host: host, Seed: seed,
		Method: CampaignMethod,
	}
	for _, p := range quickCheckPartitions {
		parts := p
		c := campaign
		c.Name, c.Seed, c.OutDir = registries.Label(registries.Sharded, parts), seed, artifacts
		c.NewRegistry = func() (model.Registry, error) {
			in, err := registries.New(registries.Sharded, spec.RegistrySpec{Partitions: parts})
			if err != nil {
				return nil, err
			}
			return in.Registry, nil
		}
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
		Registry: c.Name, Partitions: partitions, Seed: c.Seed, Outcome: res.Outcome.String(), Histories: res.Histories, Ops: res.Ops,
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

// AppendCheck adds a campaign's record to the verification summary at
// path (check.json, as a report's results folder holds it), creating the
// summary when there is none, so campaigns run with ` + "`shardlab check --summary`" + `
// (longer or more of them than the report's quick one) become the
// report's verification section. The write is atomic.
func AppendCheck(path string, host store.Host, now time.Time, run store.CheckRun) error {
	s, err := store.LoadCheck(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s = &store.CheckSummary{SchemaVersion: store.CheckSchemaVersion, Host: host, Seed: run.Seed, Method: CampaignMethod}
	case err != nil:
		return err
	}
	s.Created = now.UTC()
	s.Runs = append(s.Runs, run)
	return store.WriteCheck(path, s)
}
