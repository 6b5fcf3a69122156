package check

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/model"
)

// The checks of the zoo, each at its defaults: a Campaign (seeds 1 to 3,
// stopping at the first that catches), StateMachine and ConcurrentMachine
// under rapid.Check.
const (
	byCampaign   = "campaign"
	byState      = "state"
	byConcurrent = "concurrent"
)

// zooEntry is one registry of the zoo and the checks that must catch it:
// every check in catches, and at least one of anyOf (races, whose windows
// are narrow and whose interleavings are the scheduler's). A correct
// registry has neither and must pass every check.
type zooEntry struct {
	name    string
	class   string
	new     func() (model.Registry, error)
	catches []string
	anyOf   []string
}

func zooFactory(f flaw) func() (model.Registry, error) {
	return func() (model.Registry, error) { return newZoo(f), nil }
}

// zooEntries is the zoo: one-bug registries, sharded ones (zoo) and the
// single-lock toy's six, with the checks that must catch each. The README's
// table lists the same.
func zooEntries() []zooEntry {
	all := []string{byCampaign, byState, byConcurrent}
	races := []string{byCampaign, byConcurrent}
	return []zooEntry{
		{"dup-register", "race: check-then-insert, no yield in the window", zooFactory(flawDupRegister), nil, races},
		{"cross-partition-bind", "race: bind checks the server, then binds under another lock", zooFactory(flawCrossPartitionBind), nil, races},
		// Unlock and Lock back to back on one mutex: windows of a few
		// nanoseconds that the defaults hit only now and then (the second
		// also needs two operations of another client inside it); the
		// hooked tests in broken_test.go catch them every time.
		{"stale-death-notice", "race: owner death unlocks and relocks, then deletes by ID", toyFactory(bugs{staleDeathNotice: true}), nil, nil},
		{"non-atomic-bind", "race: bind unlocks and relocks between check and bind", toyFactory(bugs{nonAtomicBind: true}), nil, nil},
		{"stale-handler", "delivery: re-registered ID keeps the first handler", zooFactory(flawStaleHandler), all, nil},
		{"broadcast-ghost", "delivery: broadcast reaches an unregistered transport", zooFactory(flawBroadcastGhost), all, nil},
		{"key-prefix", "ID shape: keyed by the first 64 bytes", zooFactory(flawKeyPrefix), all, nil},
		{"no-utf8-check", "ID bytes: invalid UTF-8 accepted", zooFactory(flawNoUTF8Check), all, nil},
		{"max-len-off-by-one", "ID length: 255-byte IDs rejected", zooFactory(flawMaxLenOffByOne), all, nil},
		{"list-skips-partition", "partitions: lists miss the last partition", zooFactory(flawListSkipsPartition), all, nil},
		{"list-by-length", "ID shape: lists sorted by length first", zooFactory(flawListByLength), all, nil},
		{"stale-read-cache", "stale read", toyFactory(bugs{staleReadCache: true}), all, nil},
		{"owner-death-misses-binding", "bindings", toyFactory(bugs{ownerDownKeepsBindings: true}), all, nil},
		{"unregister-server-leaves-bindings", "bindings", toyFactory(bugs{unregisterKeepsBindings: true}), all, nil},
		{"admission-rejects-reads", "overload on a read", toyFactory(bugs{rejectReads: true}), all, nil},
	}
}

// correctEntries must pass every check: the calibration against false
// alarms, admission control rejecting one registration in five included.
func correctEntries() []zooEntry {
	return []zooEntry{
		{"zoo", "correct", zooFactory(flawNone), nil, nil},
		{"zoo-overloaded", "correct: 1 in 5 registrations overloaded", zooFactory(flawOverloads), nil, nil},
		{"toy-rejecting-registrations", "correct: 1 in 3 registrations overloaded", toyFactory(bugs{rejectRegistrations: true}), nil, nil},
	}
}

var rapidFailedAfter = regexp.MustCompile(`\[rapid\] failed after (\d+) tests`)

// runZooCheck runs one check at its defaults and says whether it caught
// the registry and after how many histories or rapid cases.
func runZooCheck(t *testing.T, check string, e zooEntry, seeds int) (caught bool, took string) {
	return runZooCheckWith(t, check, e, seeds, 0, MachineOptions{})
}

// runZooCheckWith is runZooCheck with a campaign of the given number of
// short histories (0: the default) and the given machine options.
func runZooCheckWith(t *testing.T, check string, e zooEntry, seeds, histories int, mo MachineOptions) (caught bool, took string) {
	t.Helper()
	switch check {
	case byCampaign:
		histories := 0
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			c := Campaign{Name: e.name, NewRegistry: e.new, Seed: seed, OutDir: t.TempDir(), Histories: histories}
			if testing.Short() {
				c.Long = -1 // the long history is the slowest part under -race
			}
			res, err := c.Run(context.Background())
			histories += res.Histories
			if err != nil {
				t.Fatalf("campaign seed %d: %v", seed, err)
			}
			if res.Outcome != Ok {
				f := res.Failure
				t.Logf("campaign seed %d, history %d: %s\n%s\nhistory: %s", seed, f.Index, f.Verdict, firstLines(f.Verdict.Description, 12), f.HistoryPath)
				return true, fmt.Sprintf("%d histories (seed %d)", histories, seed)
			}
		}
		return false, fmt.Sprintf("%d histories", histories)
	case byState, byConcurrent:
		prop := StateMachine(e.new, mo)
		if check == byConcurrent {
			mo.OutDir = t.TempDir()
			prop = ConcurrentMachine(e.new, mo)
		}
		found, report := rapidFinds(t, prop)
		if !found {
			return false, "-"
		}
		t.Logf("%s:\n%s", check, firstLines(report, 14))
		if m := rapidFailedAfter.FindStringSubmatch(report); m != nil {
			n, _ := strconv.Atoi(m[1])
			return true, fmt.Sprintf("%d cases", n+1) // rapid counts the cases that passed
		}
		if strings.Contains(report, "flaky") {
			return true, "flaky"
		}
		return true, "?"
	}
	t.Fatalf("unknown check %q", check)
	return false, ""
}

// TestZoo: every broken registry is caught by every check listed for it,
// and races by at least one of theirs, at the checks' defaults (a campaign
// of seeds 1 to 3, stopping at the first that catches; rapid.Check's
// default number of cases); every correct one passes every check. The log
// has a table of what caught what, and after how much. Under -short the
// campaigns leave out their long history, races stop at the first check
// that catches them, and entries with nothing required are skipped.
func TestZoo(t *testing.T) {
	checks := []string{byCampaign, byState, byConcurrent}
	var table []string
	for _, e := range zooEntries() {
		t.Run(e.name, func(t *testing.T) {
			if testing.Short() && len(e.catches) == 0 && len(e.anyOf) == 0 {
				t.Skip("nothing required at the defaults; see broken_test.go")
			}
			row := fmt.Sprintf("%-34s", e.name)
			anyCaught := false
			for _, c := range checks {
				must := slices.Contains(e.catches, c)
				if !must && !slices.Contains(e.anyOf, c) && testing.Short() {
					continue
				}
				if !must && anyCaught && testing.Short() {
					continue
				}
				caught, took := runZooCheck(t, c, e, 3)
				if must && !caught {
					t.Errorf("%s slipped through %s (%s)", e.name, c, took)
				}
				if caught && slices.Contains(e.anyOf, c) {
					anyCaught = true
				}
				if !caught {
					took = "missed"
				}
				row += fmt.Sprintf(" %-10s %-24s", c, took)
			}
			if len(e.anyOf) > 0 && !anyCaught {
				t.Errorf("%s slipped through all of %v", e.name, e.anyOf)
			}
			table = append(table, row)
		})
	}
	// The correct registries run the whole budget every time; under
	// -short (make test, with -race) a smaller one: one seed of 25 short
	// histories, and each concurrent plan run twice.
	seeds, histories, mo := 3, 0, MachineOptions{}
	if testing.Short() {
		seeds, histories, mo = 1, 25, MachineOptions{Repeats: 2}
	}
	for _, e := range correctEntries() {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range checks {
				if caught, took := runZooCheckWith(t, c, e, seeds, histories, mo); caught {
					t.Errorf("false alarm: %s failed %s (%s)", e.name, c, took)
				}
			}
		})
	}
	t.Logf("what caught what:\n%s", strings.Join(table, "\n"))
}
