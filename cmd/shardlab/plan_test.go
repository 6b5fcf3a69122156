package main

import "testing"

func TestPlanArgValidation(t *testing.T) {
	cases := [][]string{
		{"plan"}, // no concurrency
		{"plan", "--workers", "10", "--connections", "10", "--ops", "1"},
		{"plan", "--workers", "-3", "--ops", "1"},
		{"plan", "--workers", "10", "--ops", "-1"},
		{"plan", "--workers", "10", "--p99", "-1ms"},
		{"plan", "--workers", "10", "--p99", "1ms", "--margin", "-0.5"},
		{"plan", "--workers", "10", "--p99", "1ms", "--cores", "0"},
		{"plan", "--rate", "-5", "--p99", "1ms"},
		{"plan", "--connections", "100", "--think", "0s", "--p99", "1ms"},
		{"plan", "--workers", "10", "--p99", "1ms", "--calibration", "/nonexistent/calibration.json"},
		{"plan", "--workers", "10", "--cores", "-1", "--ops", "1"},
		{"plan", "--workers", "10"}, // nothing to plan for
		{"plan", "--workers", "10", "--ops", "1", "--workload", "nope"},
		{"plan", "--workers", "10", "--ops", "1", "--mix", "find_server"},
		{"plan", "--workers", "10", "--ops", "1", "--mix", "fly:1"},
		{"plan", "--workers", "10", "--ops", "1", "--keys", "gaussian"},
		{"plan", "--workers", "10", "--ops", "1", "--keys", "zipfian", "--theta", "1.5"},
		{"plan", "--workers", "10", "--ops", "1", "--mix", "find_server:0"},
		{"plan", "--workers", "10", "--ops", "1", "--mix", "list_servers:1"},
		{"plan", "--workers", "10", "--ops", "1", "--partitions", "4,x"},
		{"plan", "--workers", "10", "--ops", "1", "--results", "/nonexistent/results"},
		{"plan", "--workers", "ten"},
		{"plan", "--connections", "100", "--p99", "1ms", "--workload", "sustained"},
		{"predict", "--cores", "0", "--workers", "1"},
		{"predict", "--workers", "0"},
		{"predict", "--workers", "2", "--rate", "10"},
		{"predict", "--rate", "-1"},
		{"predict", "--workers", "2", "--mix", "bind:0"},
		{"predict", "--workers", "2", "--keys", "pareto"},
		{"predict", "--workers", "2", "--partitions", "0"},
		{"predict", "--connections", "5"},
		{"predict", "--connections", "5", "--think", "1ms", "--think-dist", "pareto"},
		{"validate-model", "--procs", "0"},
		{"validate-model", "--partitions", "x"},
		{"validate-model", "--oversubscribe", "1"},
		{"calibrate", "--reps", "1"},
		{"calibrate", "--duration", "1ms"},
		{"report", "--results", "/nonexistent/results"},
		{"balance", "--partitions", "0"},
		{"balance", "--keys", "many"},
	}
	for _, args := range cases {
		if got := run(args); got != exitUsage {
			t.Errorf("shardlab %v: exit %d, want %d", args, got, exitUsage)
		}
	}
}
