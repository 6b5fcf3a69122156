package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/drivers/bench"
	godriver "github.com/shardlab/shardlab/drivers/go"
	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/impl"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/sim"
)

const fakeEnv = "SHARDLAB_BENCH_FAKE_DRIVER"

// TestMain lets the test binary serve as a Go driver: impl at the
// partition count it is given, or null.
func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		newReg := func() (model.Registry, error) { return sim.Null{}, nil }
		var p int
		if _, err := fmt.Sscanf(mode, "impl-%d", &p); err == nil {
			newReg = func() (model.Registry, error) { return impl.New(impl.Options{Partitions: p}) }
		}
		if err := godriver.Serve(os.Stdin, os.Stdout, godriver.Info{Name: mode, Version: "1"}, newReg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunAndTable measures impl at two partition counts beside a null
// driver and prints the table with the ratio to it.
func TestRunAndTable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := func(mode string) []string { return []string{"env", fakeEnv + "=" + mode, exe} }
	rows, err := bench.Run(context.Background(), bench.Config{
		Drivers: []bench.Driver{
			{Name: "impl", Partitioned: true, Baseline: "null", Command: func(p int) []string { return cmd(fmt.Sprintf("impl-%d", p)) }},
			{Name: "null", Null: true, Baseline: "null", Command: func(int) []string { return cmd("null") }},
		},
		Partitions: []int{1, 4},
		Kinds:      []model.OpKind{model.OpFindServer, model.OpRegisterServer},
		Workers:    2, Duration: 100 * time.Millisecond, Repeats: 2, Servers: 100, Seed: 1,
		Protocol: protocol.Config{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6 (2 partition counts x 2 kinds for impl, 2 kinds for null)", len(rows))
	}
	for _, r := range rows {
		if len(r.Throughput) != 2 || r.Throughput[0] <= 0 || r.Errors != 0 {
			t.Errorf("%s p=%d %s: throughputs %v, errors %d", r.Driver, r.Partitions, r.Kind, r.Throughput, r.Errors)
		}
	}
	var b bytes.Buffer
	bench.Table(&b, rows)
	if !strings.Contains(b.String(), "x null (") {
		t.Errorf("table without the ratio to the null driver:\n%s", b.String())
	}
	if _, err := bench.Run(context.Background(), bench.Config{}); err == nil {
		t.Error("an empty config ran")
	}
}
