package deploy

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/shardlab/shardlab/shard"
)

// coverage checks that the shards resolved for every task cover 1..n
// exactly once and that their output folders are distinct.
func coverage(t *testing.T, recipe string, got []shard.Spec, outs []string) {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("%s: no tasks", recipe)
	}
	n := got[0].N
	seen := make([]int, n+1)
	for _, s := range got {
		if s.N != n {
			t.Fatalf("%s: tasks disagree on N: %v", recipe, got)
		}
		seen[s.K]++
	}
	for k := 1; k <= n; k++ {
		if seen[k] != 1 {
			t.Errorf("%s: shard %d/%d is run by %d tasks (want exactly 1); all: %v", recipe, k, n, seen[k], got)
		}
	}
	if len(got) != n {
		t.Errorf("%s: %d tasks for %d shards", recipe, len(got), n)
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(outs)))
	if len(uniq) != len(outs) {
		t.Errorf("%s: tasks share an output folder: %v", recipe, outs)
	}
}

// arrayIndices expands a Slurm --array value: "0-3", "1,3,5", "0-15:4",
// with an optional "%limit".
func arrayIndices(spec string) ([]int, error) {
	spec, _, _ = strings.Cut(spec, "%")
	var out []int
	for _, part := range strings.Split(spec, ",") {
		rng, stepS, hasStep := strings.Cut(part, ":")
		step := 1
		if hasStep {
			var err error
			if step, err = strconv.Atoi(stepS); err != nil || step < 1 {
				return nil, fmt.Errorf("bad step in %q", part)
			}
		}
		loS, hiS, isRange := strings.Cut(rng, "-")
		lo, err := strconv.Atoi(loS)
		if err != nil {
			return nil, fmt.Errorf("bad index in %q", part)
		}
		hi := lo
		if isRange {
			if hi, err = strconv.Atoi(hiS); err != nil || hi < lo {
				return nil, fmt.Errorf("bad range %q", part)
			}
		}
		for i := lo; i <= hi; i += step {
			out = append(out, i)
		}
	}
	return out, nil
}

func TestArrayIndices(t *testing.T) {
	for in, want := range map[string][]int{"0-3": {0, 1, 2, 3}, "1,3": {1, 3}, "0-6:3%2": {0, 3, 6}} {
		got, err := arrayIndices(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("arrayIndices(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"a-b", "3-1", "0-3:0"} {
		if _, err := arrayIndices(bad); err == nil {
			t.Errorf("arrayIndices(%q) accepted", bad)
		}
	}
}

var (
	sbatchArray = regexp.MustCompile(`(?m)^#SBATCH\s+--array=(\S+)`)
	shardFlag   = regexp.MustCompile(`--shard[ =](\S+)`)
	outFlag     = regexp.MustCompile(`--out[ =]"?([^"\s]+)`)
)

func TestSlurmRecipe(t *testing.T) {
	data, err := os.ReadFile("slurm-array.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	m := sbatchArray.FindAllStringSubmatch(text, -1)
	if len(m) != 1 {
		t.Fatalf("want one #SBATCH --array line, found %d", len(m))
	}
	idx, err := arrayIndices(m[0][1])
	if err != nil {
		t.Fatal(err)
	}
	// The commands: every line that is not a comment.
	var code []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			code = append(code, l)
		}
	}
	flags := shardFlag.FindAllStringSubmatch(strings.Join(code, "\n"), -1)
	outs := outFlag.FindAllStringSubmatch(strings.Join(code, "\n"), -1)
	if len(flags) < 2 || len(outs) != len(flags) {
		t.Fatalf("want a --shard and an --out on each shardlab command (sweep and check), found %d and %d", len(flags), len(outs))
	}
	for c, f := range flags {
		var specs []shard.Spec
		var dirs []string
		for _, i := range idx {
			env := map[string]string{
				shard.EnvSlurmTaskID:    strconv.Itoa(i),
				shard.EnvSlurmTaskCount: strconv.Itoa(len(idx)),
				shard.EnvSlurmTaskMin:   strconv.Itoa(slices.Min(idx)),
			}
			s, err := shard.Resolve(f[1], func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("task %d: %v", i, err)
			}
			specs = append(specs, s)
			dirs = append(dirs, strings.ReplaceAll(outs[c][1], "$task", strconv.Itoa(i)))
		}
		coverage(t, fmt.Sprintf("slurm command %d", c), specs, dirs)
	}
}

func TestKubernetesRecipe(t *testing.T) {
	data, err := os.ReadFile("k8s-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string `yaml:"command"`
						Args    []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false)
	if err := dec.Decode(&job); err != nil {
		t.Fatal(err)
	}
	if job.Kind != "Job" || job.APIVersion != "batch/v1" || job.Spec.CompletionMode != "Indexed" {
		t.Fatalf("want a batch/v1 Job with completionMode Indexed, got %s %s %q", job.APIVersion, job.Kind, job.Spec.CompletionMode)
	}
	if len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want one container")
	}
	args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " ")
	f := shardFlag.FindStringSubmatch(args)
	o := outFlag.FindStringSubmatch(args)
	if f == nil || o == nil {
		t.Fatalf("args lack --shard or --out: %s", args)
	}
	var specs []shard.Spec
	var dirs []string
	for i := range job.Spec.Completions { // Kubernetes hands out 0..completions-1
		env := map[string]string{shard.EnvJobCompletionIndex: strconv.Itoa(i)}
		s, err := shard.Resolve(f[1], func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		specs = append(specs, s)
		dirs = append(dirs, strings.ReplaceAll(o[1], "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i)))
	}
	coverage(t, "kubernetes", specs, dirs)
}

func TestCIMatrixRecipe(t *testing.T) {
	data, err := os.ReadFile("ci-matrix.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Needs    any `yaml:"needs"`
			Strategy struct {
				Matrix map[string][]int `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	job, ok := wf.Jobs["shard"]
	if !ok {
		t.Fatal("no job named shard")
	}
	values := job.Strategy.Matrix["shard"]
	var run string
	for _, s := range job.Steps {
		if strings.Contains(s.Run, "--shard") {
			run = s.Run
		}
	}
	f := shardFlag.FindStringSubmatch(run)
	o := outFlag.FindStringSubmatch(run)
	if f == nil || o == nil {
		t.Fatalf("no step runs shardlab with --shard and --out")
	}
	var specs []shard.Spec
	var dirs []string
	for _, v := range values {
		sub := func(s string) string { return strings.ReplaceAll(s, "${{ matrix.shard }}", strconv.Itoa(v)) }
		// The flag's value is one word once the expression is expanded.
		arg := shardFlag.FindStringSubmatch(sub(run))[1]
		s, err := shard.Parse(arg)
		if err != nil {
			t.Fatalf("matrix.shard %d: %v", v, err)
		}
		specs = append(specs, s)
		dirs = append(dirs, outFlag.FindStringSubmatch(sub(run))[1])
	}
	coverage(t, "ci matrix", specs, dirs)
	merge, ok := wf.Jobs["merge"]
	if !ok || fmt.Sprint(merge.Needs) != "shard" {
		t.Fatalf("want a merge job that needs the shard job, got %v", merge.Needs)
	}
	if !strings.Contains(merge.Steps[len(merge.Steps)-2].Run, "shardlab merge") {
		t.Error("the merge job does not run shardlab merge")
	}
}
