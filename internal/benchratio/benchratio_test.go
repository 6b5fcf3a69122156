package benchratio_test

import (
	"bytes"
	"errors"
	"fmt"
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
		floor   = "lookups >=1.0x bare-xsync"
		mix90   = "90/10 >=1.0x bare-xsync"
		writes  = "register+unregister >=0.5x bare-xsync"
		lookups = ">=0.9x xsync, >=1.2x syncmap"
		mixed   = ">1x syncmap, >1x mutex"
	)
	for _, tc := range []struct {
		config     string
		procs      int
		partitions int
		want       map[string]bool
	}{
		// cpu=1: per-round ratios vs bare-xsync 20/20, 33/30, 25/25: median 1.0.
		{"BenchmarkFindServer", 1, 64, map[string]bool{allocs: true, floor: true}},
		// 10 vs xsync 10 (1.0x) and syncmap 11 (1.1x < 1.2x); bare 9 (0.9x).
		{"BenchmarkFindServer", 2, 64, map[string]bool{allocs: true, floor: false, lookups: false}},
		// No bare peer measured: a goal against it is not met.
		{"BenchmarkRouteToServer", 2, 64, map[string]bool{allocs: false, floor: false}},
		// 20 vs syncmap 40, mutex 60 and bare 30: met; 50: not.
		{"BenchmarkMix/reads=90/keys=uniform", 2, 64, map[string]bool{mixed: true, mix90: true}},
		{"BenchmarkMix/reads=90/keys=uniform", 2, 1, map[string]bool{mixed: false, mix90: false}},
		// 100 vs 60: 0.6x, within twice the bare map's time.
		{"BenchmarkRegisterUnregister", 2, 64, map[string]bool{writes: true}},
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

func TestMedianCI(t *testing.T) {
	xs := []float64{10, 3, 8, 1, 5, 9, 2, 7, 4, 6}
	if lo, hi := benchratio.MedianCI(xs); lo != 2 || hi != 9 {
		t.Fatalf("10 values 1..10: interval [%v, %v], want [2, 9] (order statistics 2 and 9)", lo, hi)
	}
	if lo, hi := benchratio.MedianCI(xs[:6]); lo != 1 || hi != 10 {
		t.Fatalf("6 values: interval [%v, %v], want [min, max] = [1, 10]", lo, hi)
	}
	if lo, hi := benchratio.MedianCI(xs[:5]); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Fatalf("5 values: interval [%v, %v], want NaN (95 %% unreachable)", lo, hi)
	}
	// The input is not reordered.
	if xs[0] != 10 || xs[9] != 6 {
		t.Fatalf("MedianCI sorted its input: %v", xs)
	}
}

// TestPairedRatioInterval: ratios are taken round by round, so a busy
// spell that slows both sides of one round moves no ratio.
func TestPairedRatioInterval(t *testing.T) {
	var in strings.Builder
	for i := range 10 {
		slow := 1.0
		if i == 3 {
			slow = 5 // one round on a busy machine
		}
		fmt.Fprintf(&in, "BenchmarkFindServer/registry=sharded/partitions=64#%02d 1 %v ns/op\n", i, 10*slow)
		fmt.Fprintf(&in, "BenchmarkFindServer/registry=bare-xsync#%02d 1 %v ns/op\n", i, float64(8+i%3)*slow)
	}
	rs, err := benchratio.Parse(strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	comps := benchratio.Compare(benchratio.Summarize(rs), "sharded", benchratio.Goals())
	if len(comps) != 1 || comps[0].Impl.Runs != 10 {
		t.Fatalf("comparisons %+v, want one over 10 runs", comps)
	}
	c := comps[0]
	// Per-round ratios: 0.8, 0.9, 1.0 repeating; median 0.9, interval [0.8, 1.0].
	if r, lo, hi := c.Ratio["bare-xsync"], c.RatioLo["bare-xsync"], c.RatioHi["bare-xsync"]; math.Abs(r-0.9) > 1e-9 || math.Abs(lo-0.8) > 1e-9 || math.Abs(hi-1.0) > 1e-9 {
		t.Fatalf("ratio %v [%v, %v], want 0.9 [0.8, 1.0]", r, lo, hi)
	}
}

func TestParseCallgrind(t *testing.T) {
	in := `partitions=64 keys=10000 ops=1000 writes=100
--------------------------------------------------------------------------------
Ir                 file:function
--------------------------------------------------------------------------------
 250,000 ( 4.91%)  /x/impl/internal/lookupinstr/main.go:main.findImpl [/tmp/lookupinstr]
 150,000 ( 4.91%)  /x/impl/internal/lookupinstr/main.go:main.findXSync
 999,999 ( 4.91%)  /usr/local/go/src/sync/map.go:main.findXSync
 200,000 ( 1.00%)  /x/impl/internal/lookupinstr/main.go:main.regImpl
   7,000 ( 0.01%)  /x/impl/internal/lookupinstr/main.go:main.loopBaseline
`
	rows, err := benchratio.ParseCallgrind(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"find/impl": 250, "find/bare-xsync": 150, "register+unregister/impl": 2000, "loop/loop": 7}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %d", rows, len(want))
	}
	for _, r := range rows {
		if w, ok := want[r.Op+"/"+r.Target]; !ok || r.PerOp != w || r.Partitions != 64 {
			t.Errorf("row %+v, want %v per op at 64 partitions", r, w)
		}
	}
	var out bytes.Buffer
	if err := benchratio.WriteInstr(&out, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1.67") {
		t.Errorf("no impl/bare-xsync ratio 1.67 in:\n%s", out.String())
	}
	if _, err := benchratio.ParseCallgrind(strings.NewReader("PASS\n")); !errors.Is(err, benchratio.ErrNoResults) {
		t.Fatalf("no counts: error %v, want ErrNoResults", err)
	}
	if _, err := benchratio.ParseCallgrind(strings.NewReader(" 1 ( 1%)  a/lookupinstr/main.go:main.findImpl\n")); !errors.Is(err, benchratio.ErrMalformed) {
		t.Fatalf("count before header: error %v, want ErrMalformed", err)
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := benchratio.Run(benchratio.Config{Input: "testdata/bench.txt", Out: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"vs syncmap", "vs bare-xsync", "NOT MET", "goal 0 allocs/op:", "met in 2/3 rows; partitions=64: 2/3", "BenchmarkMix/reads=90/keys=uniform"} {
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
