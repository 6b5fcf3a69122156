package drivers_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/drivers/protocol"
)

var seed = flag.Uint64("seed", 1, "campaign seed (replays a failure)")

// needBEAM fails the test when tool is missing, unless SHARDLAB_SKIP_BEAM=1
// asks to skip: CI must never pass without running these.
func needBEAM(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("SHARDLAB_SKIP_BEAM") == "1" {
			t.Skipf("%s not installed; skipped because SHARDLAB_SKIP_BEAM=1", tool)
		}
		t.Fatalf("%s not installed (apt-get install erlang-nox elixir; or SHARDLAB_SKIP_BEAM=1 to skip on purpose)", tool)
	}
}

func startDriver(t *testing.T, command ...string) *protocol.Driver {
	t.Helper()
	abs, err := filepath.Abs(command[0])
	if err != nil {
		t.Fatal(err)
	}
	command[0] = abs
	d, err := protocol.Start(context.Background(), protocol.Config{Command: command, Stderr: os.Stderr, HangTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

func campaign(t *testing.T, d *protocol.Driver, c check.Campaign) check.CampaignResult {
	t.Helper()
	c.Seed, c.Long = *seed, -1
	res, err := d.Campaign(c).Run(context.Background())
	if err != nil {
		t.Fatalf("seed %d: %v", *seed, err)
	}
	return res
}

// TestErlangETS: the registry after the seed's design passes, owner deaths
// recorded pending.
func TestErlangETS(t *testing.T) {
	needBEAM(t, "erl")
	d := startDriver(t, "erlang/run", "ets", "--partitions", "4")
	if res := campaign(t, d, check.Campaign{Histories: 30, Clients: 4, Ops: 20}); res.Outcome != check.Ok {
		t.Fatalf("seed %d: %s: %s", *seed, res.Outcome, res.Failure.Verdict.Description)
	}
}

// TestErlangETSStaleDeathNotice: the broken variant, whose cleanup removes
// a later registration of a dead owner's ID, is caught through the
// protocol.
func TestErlangETSStaleDeathNotice(t *testing.T) {
	needBEAM(t, "erl")
	d := startDriver(t, "erlang/run", "ets-stale", "--partitions", "4")
	res := campaign(t, d, check.Campaign{Histories: 200, Clients: 4, Ops: 20})
	if res.Outcome != check.Violation {
		t.Fatalf("seed %d: the stale death notice slipped through %d histories (%s)", *seed, res.Histories, res.Outcome)
	}
	t.Logf("seed %d: caught after %d histories", *seed, res.Histories)
}

// TestErlangGlobal: OTP's global (several names per pid allowed) passes the
// servers profile.
func TestErlangGlobal(t *testing.T) {
	needBEAM(t, "erl")
	d := startDriver(t, "erlang/run", "global")
	if d.Hello().Supports(0) || len(d.Hello().Ops) != len(protocol.ServersProfile) || !d.Hello().NoConfig {
		t.Fatalf("hello %s: want the servers profile without configs", d.Hello())
	}
	if res := campaign(t, d, check.Campaign{Histories: 15, Clients: 4, Ops: 20}); res.Outcome != check.Ok {
		t.Fatalf("seed %d: %s: %s", *seed, res.Outcome, res.Failure.Verdict.Description)
	}
}

// TestErlangGlobalOneNamePerPid: global's default refuses a second name
// for a pid, which the model does not allow; shardlab says so.
func TestErlangGlobalOneNamePerPid(t *testing.T) {
	needBEAM(t, "erl")
	d := startDriver(t, "erlang/run", "global", "--one-name-per-pid")
	if res := campaign(t, d, check.Campaign{Histories: 20, Clients: 4, Ops: 20}); res.Outcome != check.Violation {
		t.Fatalf("seed %d: %s, want a violation (a refused registration of a free name)", *seed, res.Outcome)
	}
}

// TestElixirRegistry: Elixir's Registry with 4 partitions passes the
// servers profile.
func TestElixirRegistry(t *testing.T) {
	needBEAM(t, "elixir")
	d := startDriver(t, "elixir/run", "--partitions", "4")
	if got := d.Hello().Name; got != "elixir-registry-p4" {
		t.Errorf("hello name %q", got)
	}
	if res := campaign(t, d, check.Campaign{Histories: 15, Clients: 4, Ops: 20}); res.Outcome != check.Ok {
		t.Fatalf("seed %d: %s: %s", *seed, res.Outcome, res.Failure.Verdict.Description)
	}
}

// TestOwnerDeathProbe: right after a death, no registry here shows the dead
// owner's entry to the next request, and both readings of the death pass.
func TestOwnerDeathProbe(t *testing.T) {
	needBEAM(t, "erl")
	d := startDriver(t, "erlang/run", "ets", "--partitions", "4")
	p, err := protocol.ProbeOwnerDeath(d, 20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pending.Outcome != check.Ok || p.Completed.Outcome != check.Ok || p.StaleFinds != 0 {
		t.Fatalf("probe: %s", p)
	}
}
