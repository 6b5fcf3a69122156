package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/shardlab/shardlab/experiments"
	"github.com/shardlab/shardlab/registries"
)

// addCompletions teaches shell completion (shardlab completion bash|zsh|
// fish|powershell) the names shardlab knows: scenarios for run, built-in
// sweeps for sweep, registries for every --registry flag. Lists separated
// by commas complete their last element.
func addCompletions(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "run":
			c.ValidArgsFunction = listCompletion(append([]string{"all"}, experiments.ScenarioNames()...))
		case "sweep":
			c.ValidArgsFunction = listCompletion(experiments.BuiltinSweepNames())
		}
		if c.Flags().Lookup("registry") != nil {
			_ = c.RegisterFlagCompletionFunc("registry", listCompletion(registries.Names()))
		}
	}
}

// listCompletion offers names for the last element of a comma-separated
// list, once: "sharded,mu" completes to "sharded,mutex".
func listCompletion(names []string) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		prefix, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			prefix, last = toComplete[:i+1], toComplete[i+1:]
		}
		taken := map[string]bool{}
		for _, s := range strings.Split(prefix, ",") {
			taken[s] = true
		}
		var out []cobra.Completion
		for _, n := range names {
			if strings.HasPrefix(n, last) && !taken[n] {
				out = append(out, prefix+n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}
