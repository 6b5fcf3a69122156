package benchratio_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/internal/benchratio"
)

func load(t *testing.T) []benchratio.Comparison {
	t.Helper()
	f, err := os.Open("testdata/bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	results, err := benchratio.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return benchratio.Compare(benchratio.Summarize(results), "sharded", benchratio.Goals())
}

func find(t *testing.T, comps []benchratio.Comparison, config string, procs, partitions int) benchratio.Comparison {
	t.Helper()
	for _, c := range comps {
		if c.Impl.Config == config && c.Impl.Procs == procs && c.Impl.Partitions == partitions {
			return c
		}
	}
	t.Fatalf("no comparison for %s cpu=%d partitions=%d in %+v", config, procs, partitions, comps)
	return benchratio.Comparison{}
}

func TestParseProcsSuffix(t *testing.T) {
	in := "BenchmarkA/registry=x/keys=zipf-ish-16 \t 10 \t 5 ns/op\nBenchmarkB/registry=x \t 10 \t 7 ns/op\nBenchmarkC/k=-3/registry=x \t 1 \t 1 ns/op\n"
	rs, err := benchratio.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		procs int
	}{{"BenchmarkA/registry=x/keys=zipf-ish", 16}, {"BenchmarkB/registry=x", 1}, {"BenchmarkC/k=-3/registry=x", 1}}
	if len(rs) != len(want) {
		t.Fatalf("parsed %d results, want %d", len(rs), len(want))
	}
	for i, w := range want {
		if rs[i].Name != w.name || rs[i].Procs != w.procs {
			t.Errorf("result %d: %q procs %d, want %q procs %d", i, rs[i].Name, rs[i].Procs, w.name, w.procs)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	_, err := benchratio.Parse(strings.NewReader("BenchmarkA/registry=x 10 5 ns/op 3\n"))
	if !errors.Is(err, benchratio.ErrMalformed) {
		t.Fatalf("unpaired value: error %v, want ErrMalformed", err)
	}
	_, err = benchratio.Parse(strings.NewReader("BenchmarkA/registry=x 10 fast ns/op\n"))
	if !errors.Is(err, benchratio.ErrMalformed) {
		t.Fatalf("non-numeric value: error %v, want ErrMalformed", err)
	}
}

func TestMedianAndRatios(t *testing.T) {
	comps := load(t)
	c := find(t, comps, "BenchmarkFindServer", 1, 64)
	// Repeats 20, 30, 25: the median is 25, and xsync at 20 gives 0.8.
	if c.Impl.NsPerOp != 25 || c.Impl.Runs != 3 {
		t.Fatalf("median %v over %d runs, want 25 over 3", c.Impl.NsPerOp, c.Impl.Runs)
	}
	if r := c.Ratio["xsync"]; math.Abs(r-0.8) > 1e-12 {
		t.Fatalf("ratio vs xsync %v, want 0.8", r)
	}
	if _, ok := c.Ratio["syncmap"]; ok {
		t.Fatal("a cpu=2 peer was compared with a cpu=1 row")
	}
}

func TestGoals(t *testing.T) {
	comps := load(t)
	const (
		allocs  = "0 allocs/op"
		lookups = ">=0.9x xsync, >=1.2x syncmap"
		mixed   = ">1x syncmap, >1x mutex"
	)
	for _, tc := range []struct {
		config     string
		procs      int
		partitions int
		want       map[string]bool
	}{
		// cpu=1: only the allocation goal applies.
		{"BenchmarkFindServer", 1, 64, map[string]bool{allocs: true}},
		// 10 vs xsync 10 (1.0x) and syncmap 11 (1.1x < 1.2x).
		{"BenchmarkFindServer", 2, 64, map[string]bool{allocs: true, lookups: false}},
		{"BenchmarkRouteToServer", 2, 64, map[string]bool{allocs: false}},
		// 20 vs syncmap 40 and mutex 60: met; 50 vs 40: not.
		{"BenchmarkMix/reads=90/keys=uniform", 2, 64, map[string]bool{mixed: true}},
		{"BenchmarkMix/reads=90/keys=uniform", 2, 1, map[string]bool{mixed: false}},
	} {
		c := find(t, comps, tc.config, tc.procs, tc.partitions)
		if len(c.Goals) != len(tc.want) {
			t.Errorf("%s cpu=%d p=%d: goals %v, want %v", tc.config, tc.procs, tc.partitions, c.Goals, tc.want)
			continue
		}
		for g, w := range tc.want {
			if got, ok := c.Goals[g]; !ok || got != w {
				t.Errorf("%s cpu=%d p=%d: goal %q = %v (applies %v), want %v", tc.config, tc.procs, tc.partitions, g, got, ok, w)
			}
		}
	}
	if benchratio.AllMet(comps) {
		t.Fatal("AllMet with unmet goals")
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := benchratio.Run(benchratio.Config{Input: "testdata/bench.txt", Out: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"vs syncmap", "NOT MET", "goal 0 allocs/op:", "met in 2/3 rows; partitions=64: 2/3", "BenchmarkMix/reads=90/keys=uniform"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "QuickFind") {
		t.Errorf("a benchmark without registry= made it into the table:\n%s", text)
	}
	err := benchratio.Run(benchratio.Config{Input: "testdata/bench.txt", Out: &out, Strict: true})
	if !errors.Is(err, benchratio.ErrGoalsNotMet) {
		t.Fatalf("strict run: error %v, want ErrGoalsNotMet", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, []byte("PASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := benchratio.Run(benchratio.Config{Input: empty, Out: &out}); !errors.Is(err, benchratio.ErrNoResults) {
		t.Fatalf("empty input: error %v, want ErrNoResults", err)
	}
	if err := benchratio.Run(benchratio.Config{Input: filepath.Join(t.TempDir(), "missing"), Out: &out}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing input: error %v, want os.ErrNotExist", err)
	}
}
