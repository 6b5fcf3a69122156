package protocol_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/model"
)

// BenchmarkRoundTrip measures one operation's round trip through a driver
// that does nothing: the protocol's own cost, which every figure measured
// through a driver includes. clients=1 is one client waiting for each
// answer; clients=par is b.RunParallel's goroutines, each a client.
//
//	go test -run '^$' -bench RoundTrip ./drivers/protocol/
func BenchmarkRoundTrip(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	drivers := map[string][]string{"go-null": {exe}}
	if _, err := exec.LookPath("erl"); err == nil {
		run, _ := filepath.Abs("../erlang/run")
		drivers["erlang-null"] = []string{run, "null"}
	}
	for _, name := range []string{"go-null", "erlang-null"} {
		command, ok := drivers[name]
		if !ok {
			continue
		}
		b.Run("driver="+name, func(b *testing.B) {
			b.Setenv(fakeEnv, "null")
			d, err := protocol.Start(context.Background(), protocol.Config{Command: command})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			op := model.Op{Kind: model.OpFindServer, Server: "server_1"}
			b.Run("clients=1", func(b *testing.B) {
				for b.Loop() {
					if _, _, _, err := d.Call(0, op); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("clients=par", func(b *testing.B) {
				reg := d.Registry()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := reg.FindServer("server_1"); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		})
	}
}
