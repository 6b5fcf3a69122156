package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/shardlab/shardlab/store"
)

// For outputs that are deterministic, merging the N shards of a run gives
// what the unsharded run gives: a check campaign's verdict and counts, and
// the balance study's cells and seed check, and a sweep's points (ids,
// order, seeds, coordinates) and identity. N = 1,
// 3 and 7; 7 shards of a 6-point sweep leave one shard empty.
func TestMergedShardsEqualTheUnshardedRun(t *testing.T) {
	root := t.TempDir()
	sweepSpec := filepath.Join(root, "tiny.json")
	os.WriteFile(sweepSpec, []byte(`{"name": "tiny", "registries": ["sharded"], "partitions": [1, 2], "workers": [1, 2, 3],
		"workloads": ["lookup"], "preload": {"servers": 20, "transports": 0}, "duration": "5ms"}`), 0o644)
	campaign := []string{"check", "--registry", "sharded", "--partitions", "4", "--histories", "12", "--long", "1", "--long-ops", "100", "--seed", "5"}
	sweep := []string{"sweep", sweepSpec, "--quick", "--seed", "5"}
	mustRun := func(args ...string) {
		t.Helper()
		if rc := run(args); rc != exitOK {
			t.Fatalf("shardlab %v: exit %d", args, rc)
		}
	}
	mustRun(append(campaign, "--out", filepath.Join(root, "check-all"))...)
	mustRun(append(sweep, "--out", filepath.Join(root, "sweep-all"))...)
	bal := []string{"balance", "--partitions", "1,2,4,8", "--keys", "500,1000", "--trials", "20", "--seed", "5"}
	mustRun(append(bal, "--out", filepath.Join(root, "balance-all"))...)
	wantBal, err := store.LoadBalance(filepath.Join(root, "balance-all"))
	if err != nil {
		t.Fatal(err)
	}
	wantCheck, err := store.LoadCheck(filepath.Join(root, "check-all", store.CheckFile))
	if err != nil {
		t.Fatal(err)
	}
	wantSweep, err := store.Load(filepath.Join(root, "sweep-all"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3, 7} {
		var checks, sweeps, bals []string
		for k := 1; k <= n; k++ {
			c := filepath.Join(root, fmt.Sprintf("n%d", n), fmt.Sprintf("check-%d", k))
			s := filepath.Join(root, fmt.Sprintf("n%d", n), fmt.Sprintf("sweep-%d", k))
			mustRun(append(campaign, "--shard", fmt.Sprintf("%d/%d", k, n), "--out", c)...)
			mustRun(append(sweep, "--shard", fmt.Sprintf("%d/%d", k, n), "--out", s)...)
			b := filepath.Join(root, fmt.Sprintf("n%d", n), fmt.Sprintf("balance-%d", k))
			mustRun(append(bal, "--shard", fmt.Sprintf("%d/%d", k, n), "--out", b)...)
			checks, sweeps, bals = append(checks, c), append(sweeps, s), append(bals, b)
		}
		if n == 3 {
			// A shard resumes like any run: rerun, nothing is measured again.
			before, _ := os.ReadFile(filepath.Join(sweeps[0], store.PointsFile))
			mustRun(append(sweep, "--shard", "1/3", "--out", sweeps[0])...)
			after, _ := os.ReadFile(filepath.Join(sweeps[0], store.PointsFile))
			if string(before) != string(after) {
				t.Error("rerunning a finished shard changed its points")
			}
		}
		slices.Reverse(checks)
		mc := filepath.Join(root, fmt.Sprintf("n%d", n), "check-merged")
		ms := filepath.Join(root, fmt.Sprintf("n%d", n), "sweep-merged")
		mustRun(append([]string{"merge", mc}, checks...)...)
		mustRun(append([]string{"merge", ms}, sweeps...)...)
		mb := filepath.Join(root, fmt.Sprintf("n%d", n), "balance-merged")
		mustRun(append([]string{"merge", mb}, bals...)...)
		gotBal, err := store.LoadBalance(mb)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotBal.Cells, wantBal.Cells) || !reflect.DeepEqual(gotBal.SeedCheck, wantBal.SeedCheck) || gotBal.Shard != "" || len(gotBal.Merged) != n {
			t.Errorf("N=%d: merged balance study differs from the unsharded one", n)
		}

		got, err := store.LoadCheck(filepath.Join(mc, store.CheckFile))
		if err != nil {
			t.Fatal(err)
		}
		g, w := got.Runs[0], wantCheck.Runs[0]
		if g.Outcome != w.Outcome || g.Histories != w.Histories || g.Ops != w.Ops || g.Short != w.Short || g.Long != w.Long ||
			g.Registry != w.Registry || got.Seed != wantCheck.Seed || !reflect.DeepEqual(got.Campaign, wantCheck.Campaign) || got.Shard != "" {
			t.Errorf("N=%d: merged campaign %+v %+v, unsharded %+v %+v", n, g, got.Campaign, w, wantCheck.Campaign)
		}
		if len(got.Merged) != n {
			t.Errorf("N=%d: %d shards recorded", n, len(got.Merged))
		}

		res, err := store.Load(ms)
		if err != nil {
			t.Fatal(err)
		}
		if res.Meta.Fingerprint != wantSweep.Meta.Fingerprint || string(res.Meta.Spec) != string(wantSweep.Meta.Spec) || res.Meta.Shard != "" {
			t.Errorf("N=%d: merged meta differs: %s vs %s", n, res.Meta.Fingerprint, wantSweep.Meta.Fingerprint)
		}
		type coord struct {
			ID                       string
			Seed                     uint64
			Registry                 string
			Partitions, Workers, Rep int
		}
		coords := func(r *store.Results) []coord {
			var cs []coord
			for _, p := range r.Points {
				cs = append(cs, coord{p.ID, p.Seed, p.Registry, p.Partitions, p.Workers, p.Rep})
			}
			return cs
		}
		if !slices.Equal(coords(res), coords(wantSweep)) {
			t.Errorf("N=%d: merged points\n%v\nunsharded\n%v", n, coords(res), coords(wantSweep))
		}
	}
}

// Bad shard specs are usage errors that name the spec, before anything is
// written.
func TestBadShardIsAUsageError(t *testing.T) {
	for _, arg := range []string{"0/4", "5/4", "a/b", "3/0", "auto"} {
		out := filepath.Join(t.TempDir(), "out")
		t.Setenv("SLURM_ARRAY_TASK_ID", "")
		t.Setenv("JOB_COMPLETION_INDEX", "")
		for _, cmd := range [][]string{{"sweep", "quick", "--quick"}, {"run", "lookup_10", "--quick"}, {"check", "--histories", "1"}} {
			if rc := run(append(cmd, "--shard", arg, "--out", out)); rc != exitUsage {
				t.Errorf("%v --shard %s: exit %d, want %d", cmd, arg, rc, exitUsage)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%v --shard %s created %s", cmd, arg, out)
			}
		}
	}
}
