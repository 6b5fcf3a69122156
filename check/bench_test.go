package check

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shardlab/shardlab/model"
)

// recorded runs a generated workload against the reference registry once.
func recorded(b *testing.B, w Workload) History {
	b.Helper()
	plan, err := w.Plan(rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		b.Fatal(err)
	}
	h, err := Execute(context.Background(), model.NewReference(), plan)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkCheck times Check alone on recorded histories: the goal
// is a 100,000-operation history from 8 clients over 1,000 keys in under
// 30 s on 2 cores (run with -cpu 2), and the short campaign's histories.
func BenchmarkCheck(b *testing.B) {
	for _, w := range []Workload{
		{Clients: 8, OpsPerClient: 30, Keys: 8},       // a short campaign history
		{Clients: 8, OpsPerClient: 2000, Keys: 256},   // a long campaign history
		{Clients: 8, OpsPerClient: 12500, Keys: 1000}, // the 100k goal
	} {
		name := fmt.Sprintf("ops=%d/clients=%d/keys=%d", w.Clients*w.OpsPerClient, w.Clients, w.Keys)
		b.Run(name, func(b *testing.B) {
			h := recorded(b, w)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if v := Check(h, Options{}); v.Outcome != Ok {
					b.Fatalf("%s\n%s", v, v.Description)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "histories/s")
		})
	}
}

// BenchmarkCheckListOfAll: n registrations, one partition each, and one
// list naming all n. Partitioning is linear, so ns/op per registration
// stays flat as n grows (issue 11: 10k took 11 s, 20k 68 s before).
func BenchmarkCheckListOfAll(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		h := listOfAll(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if v := Check(h, Options{Timeout: 10 * time.Minute}); v.Outcome != Ok {
					b.Fatalf("%s", v)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/registration")
		})
	}
}
