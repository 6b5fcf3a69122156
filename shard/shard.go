package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// ErrSpec marks a bad shard spec or a missing engine variable; the CLI
// maps it to exit status 2.
var ErrSpec = errors.New("shard: invalid shard spec")

// Engine environment variables read by Resolve for "auto".
const (
	// Slurm job arrays: the task's index, the number of tasks and the
	// lowest index (an array may start at 1).
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	// Kubernetes Indexed Jobs: the pod's completion index (0-based). The
	// count is not in the environment; give it as "auto/N".
	EnvJobCompletionIndex = "JOB_COMPLETION_INDEX"
)

// MaxShards bounds N, so a typo like 4/40000000 is an error rather than
// a campaign of empty shards.
const MaxShards = 100_000

// Spec is shard K of N, K in 1..N. The zero Spec is the whole job.
type Spec struct {
	K int `json:"k"`
	N int `json:"n"`
}

// Whole reports whether s is the whole job (no sharding, or 1/1).
func (s Spec) Whole() bool { return s.N <= 1 }

// String is "K/N", or "" for the zero Spec.
func (s Spec) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Index is the 0-based index of the shard (K-1).
func (s Spec) Index() int { return s.K - 1 }

// Validate checks 1 <= K <= N <= MaxShards (the zero Spec is valid).
func (s Spec) Validate() error {
	if s == (Spec{}) {
		return nil
	}
	if s.N < 1 || s.N > MaxShards {
		return fmt.Errorf("%w: %d/%d: N must be 1..%d", ErrSpec, s.K, s.N, MaxShards)
	}
	if s.K < 1 || s.K > s.N {
		return fmt.Errorf("%w: %d/%d: K must be 1..%d (shards count from 1)", ErrSpec, s.K, s.N, s.N)
	}
	return nil
}

// Parse reads "K/N" (K 1-based). The empty string is the whole job.
func Parse(s string) (Spec, error) {
	if s == "" {
		return Spec{}, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Spec{}, fmt.Errorf("%w: %q: want K/N (e.g. 2/4, shard 2 of 4) or auto", ErrSpec, s)
	}
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if kerr != nil || nerr != nil {
		return Spec{}, fmt.Errorf("%w: %q: K and N must be integers (e.g. 2/4, shard 2 of 4)", ErrSpec, s)
	}
	sp := Spec{K: k, N: n}
	if err := sp.Validate(); err != nil {
		return Spec{}, err
	}
	return sp, nil
}

// Resolve reads a --shard value: "K/N", "auto" (index and count from a
// Slurm job array's variables) or "auto/N" (index from Slurm or a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX, count N). getenv is
// os.Getenv in production. The empty string is the whole job.
func Resolve(s string, getenv func(string) string) (Spec, error) {
	if s != "auto" && !strings.HasPrefix(s, "auto/") {
		return Parse(s)
	}
	given := 0
	if rest, ok := strings.CutPrefix(s, "auto/"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > MaxShards {
			return Spec{}, fmt.Errorf("%w: %q: auto/N needs a count N in 1..%d", ErrSpec, s, MaxShards)
		}
		given = n
	}
	envInt := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, true, fmt.Errorf("%w: --shard %s: %s=%q is not a non-negative integer", ErrSpec, s, name, v)
		}
		return i, true, nil
	}
	if id, ok, err := envInt(EnvSlurmTaskID); err != nil {
		return Spec{}, err
	} else if ok {
		lo, _, err := envInt(EnvSlurmTaskMin)
		if err != nil {
			return Spec{}, err
		}
		count, haveCount, err := envInt(EnvSlurmTaskCount)
		if err != nil {
			return Spec{}, err
		}
		switch {
		case !haveCount && given == 0:
			return Spec{}, fmt.Errorf("%w: --shard auto: %s is set but %s is not; give the count as auto/N", ErrSpec, EnvSlurmTaskID, EnvSlurmTaskCount)
		case haveCount && given != 0 && count != given:
			return Spec{}, fmt.Errorf("%w: --shard %s: the job array has %s=%d tasks", ErrSpec, s, EnvSlurmTaskCount, count)
		case !haveCount:
			count = given
		}
		if id < lo {
			return Spec{}, fmt.Errorf("%w: --shard %s: %s=%d below %s=%d", ErrSpec, s, EnvSlurmTaskID, id, EnvSlurmTaskMin, lo)
		}
		return checked(s, Spec{K: id - lo + 1, N: count}, EnvSlurmTaskID)
	}
	if idx, ok, err := envInt(EnvJobCompletionIndex); err != nil {
		return Spec{}, err
	} else if ok {
		if given == 0 {
			return Spec{}, fmt.Errorf("%w: --shard auto: %s is set but the count is not in the environment; give it as auto/N (the Job's completions)", ErrSpec, EnvJobCompletionIndex)
		}
		return checked(s, Spec{K: idx + 1, N: given}, EnvJobCompletionIndex)
	}
	return Spec{}, fmt.Errorf("%w: --shard %s: no engine variables set (%s with %s, or %s with auto/N)",
		ErrSpec, s, EnvSlurmTaskID, EnvSlurmTaskCount, EnvJobCompletionIndex)
}

func checked(s string, sp Spec, from string) (Spec, error) {
	if err := sp.Validate(); err != nil {
		return Spec{}, fmt.Errorf("--shard %s from %s: %w", s, from, err)
	}
	return sp, nil
}

// Of returns the 0-based shard index that owns id among n shards: FNV-1a
// of the id, modulo n. It depends on nothing but id and n.
func Of(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return int(h.Sum64() % uint64(n))
}

// Owns reports whether the item named id belongs to this shard. The whole
// job owns everything.
func (s Spec) Owns(id string) bool {
	return s.Whole() || Of(id, s.N) == s.Index()
}

// OwnsIndex reports whether item number i (0-based, for items that have
// only an index, like a campaign's histories) belongs to this shard:
// round robin, so shards differ in size by at most one.
func (s Spec) OwnsIndex(i int) bool {
	return s.Whole() || i%s.N == s.Index()
}
