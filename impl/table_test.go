package impl

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shardlab/shardlab/model"
)

// TestStableKeysNeverMissedUnderChurn: while writers register and
// unregister keys around them (growing, sweeping and rebuilding tables,
// leaving tombstones and freeing slots), lock-free readers always find
// every key that stays registered, and never find one that was never
// registered. A reader on a table being replaced, or probing past a slot
// being freed, must not miss.
func TestStableKeysNeverMissedUnderChurn(t *testing.T) {
	rounds := 20_000
	if testing.Short() {
		rounds = 2_000
	}
	for _, partitions := range []int{1, 8} {
		r, err := New(Options{Partitions: partitions, DisableAdmission: true}) // a loaded machine may alarm
		if err != nil {
			t.Fatal(err)
		}
		stable := make([]string, 2000)
		for i := range stable {
			stable[i] = "stable_" + strconv.Itoa(i)
			if err := r.RegisterServer(stable[i], 1, nop, model.Config(stable[i])); err != nil {
				t.Fatal(err)
			}
		}
		var (
			stop             atomic.Bool
			readers, writers sync.WaitGroup
			misses, ghosts   atomic.Int64
			writeErrs        atomic.Int64
		)
		for g := range 2 {
			readers.Go(func() {
				for i := 0; !stop.Load(); i++ {
					id := stable[(i*7+g)%len(stable)]
					if e, err := r.FindServer(id); err != nil || string(e.Config) != id {
						misses.Add(1)
					}
					if _, err := r.FindServer("never_" + strconv.Itoa(i%50)); err == nil {
						ghosts.Add(1)
					}
				}
			})
		}
		for w := range 2 {
			writers.Go(func() {
				// Each writer churns its own keys, up to 300 live at once
				// out of 1,000, so tables grow, fill with tombstones and
				// are rebuilt; it checks each of its own writes by reading.
				for i := range rounds {
					id := "churn_" + strconv.Itoa(w) + "_" + strconv.Itoa((i/600*300+i%300)%1000)
					if i%600 < 300 {
						if r.RegisterServer(id, 2, nop, "") != nil {
							writeErrs.Add(1)
						} else if _, err := r.FindServer(id); err != nil {
							misses.Add(1)
						}
					} else {
						if r.UnregisterServer(id) != nil {
							writeErrs.Add(1)
						} else if _, err := r.FindServer(id); err == nil {
							ghosts.Add(1)
						}
					}
				}
			})
		}
		writers.Wait()
		stop.Store(true)
		readers.Wait()
		if m, gh, we := misses.Load(), ghosts.Load(), writeErrs.Load(); m != 0 || gh != 0 || we != 0 {
			t.Fatalf("partitions=%d: %d lookups of registered keys missed, %d absent keys found, %d writes of own keys failed",
				partitions, m, gh, we)
		}
		for _, id := range stable {
			if _, err := r.FindServer(id); err != nil {
				t.Fatalf("partitions=%d: %s after churn: %v", partitions, id, err)
			}
		}
	}
}
