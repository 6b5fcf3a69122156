package shard

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := map[string]Spec{"": {}, "1/1": {1, 1}, "2/4": {2, 4}, "4/4": {4, 4}, "7/7": {7, 7}}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"0/4":        "K must be 1..4",
		"5/4":        "K must be 1..4",
		"a/b":        "must be integers",
		"3/0":        "N must be 1..",
		"-1/4":       "K must be 1..4",
		"2":          "want K/N",
		"1/4/2":      "must be integers",
		"1/99999999": "N must be 1..",
	}
	for in, frag := range bad {
		_, err := Parse(in)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), frag) {
			t.Errorf("Parse(%q) = %v; want ErrSpec mentioning %q", in, err, frag)
		}
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestResolveAuto(t *testing.T) {
	cases := []struct {
		arg  string
		env  func(string) string
		want Spec
		err  string
	}{
		{"auto", env(EnvSlurmTaskID, "0", EnvSlurmTaskCount, "4"), Spec{1, 4}, ""},
		{"auto", env(EnvSlurmTaskID, "3", EnvSlurmTaskCount, "4"), Spec{4, 4}, ""},
		{"auto", env(EnvSlurmTaskID, "4", EnvSlurmTaskCount, "4", EnvSlurmTaskMin, "1"), Spec{4, 4}, ""},
		{"auto/4", env(EnvSlurmTaskID, "2", EnvSlurmTaskCount, "4"), Spec{3, 4}, ""},
		{"auto/3", env(EnvSlurmTaskID, "2", EnvSlurmTaskCount, "4"), Spec{}, "SLURM_ARRAY_TASK_COUNT=4"},
		{"auto", env(EnvSlurmTaskID, "4", EnvSlurmTaskCount, "4"), Spec{}, "K must be 1..4"},
		{"auto", env(EnvSlurmTaskID, "x", EnvSlurmTaskCount, "4"), Spec{}, `SLURM_ARRAY_TASK_ID="x"`},
		{"auto", env(EnvSlurmTaskID, "1"), Spec{}, "SLURM_ARRAY_TASK_COUNT is not"},
		{"auto/5", env(EnvJobCompletionIndex, "0"), Spec{1, 5}, ""},
		{"auto/5", env(EnvJobCompletionIndex, "4"), Spec{5, 5}, ""},
		{"auto/5", env(EnvJobCompletionIndex, "5"), Spec{}, "K must be 1..5"},
		{"auto", env(EnvJobCompletionIndex, "1"), Spec{}, "give it as auto/N"},
		{"auto", env(), Spec{}, "no engine variables"},
		{"auto/4", env(), Spec{}, "no engine variables"},
		{"auto/0", env(EnvJobCompletionIndex, "0"), Spec{}, "auto/N needs a count"},
		{"auto/x", env(EnvJobCompletionIndex, "0"), Spec{}, "auto/N needs a count"},
		{"2/4", env(EnvSlurmTaskID, "0", EnvSlurmTaskCount, "4"), Spec{2, 4}, ""},
	}
	for _, c := range cases {
		got, err := Resolve(c.arg, c.env)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("Resolve(%q) = %v, %v; want %v", c.arg, got, err, c.want)
			}
			continue
		}
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Resolve(%q) = %v, %v; want ErrSpec mentioning %q", c.arg, got, err, c.err)
		}
	}
}

// Every id belongs to exactly one shard of N, and the split depends only on
// the id: the same ids in another order give the same shards.
func TestMembershipPartitions(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprintf("point-%d-%x", i, r.Uint64())
	}
	for _, n := range []int{1, 2, 3, 7, 64} {
		owner := map[string]int{}
		sizes := make([]int, n)
		for k := 1; k <= n; k++ {
			s := Spec{K: k, N: n}
			for _, id := range ids {
				if s.Owns(id) {
					if prev, dup := owner[id]; dup {
						t.Fatalf("seed %d: %s owned by shards %d and %d of %d", seed, id, prev, k, n)
					}
					owner[id] = k
					sizes[k-1]++
				}
			}
			for i := range 100 {
				if s.OwnsIndex(i) != (i%n == k-1) {
					t.Fatalf("OwnsIndex(%d) in %v", i, s)
				}
			}
		}
		if len(owner) != len(ids) {
			t.Fatalf("seed %d: %d of %d ids owned at N=%d", seed, len(owner), len(ids), n)
		}
		// FNV-1a spreads 2000 ids: no shard is empty or holds more than
		// twice its share at these N.
		for k, sz := range sizes {
			if sz == 0 || sz > 2*len(ids)/n {
				t.Errorf("seed %d: shard %d/%d holds %d of %d", seed, k+1, n, sz, len(ids))
			}
		}
	}
	if Of("scenario=x/registry=sharded/mode=ops", 4) != Of("scenario=x/registry=sharded/mode=ops", 4) {
		t.Fatal("Of is not deterministic")
	}
	// A fixed value pins the hash: changing it would silently reshuffle
	// every resumed shard.
	if got := Of("abc", 1000); got != int(0xe71fa2190541574b%1000) {
		t.Fatalf("Of(abc, 1000) = %d; the membership function changed", got)
	}
}

func TestWholeAndString(t *testing.T) {
	if !(Spec{}).Whole() || !(Spec{1, 1}).Whole() || (Spec{1, 2}).Whole() {
		t.Fatal("Whole")
	}
	if (Spec{}).String() != "" || (Spec{3, 7}).String() != "3/7" {
		t.Fatal("String")
	}
	if !(Spec{}).Owns("x") || !(Spec{}).OwnsIndex(5) {
		t.Fatal("the whole job owns everything")
	}
}
