package main

import "testing"

func TestPlanArgValidation(t *testing.T) {
	cases := [][]string{
		{"plan"}, // no concurrency
		{"plan", "--workers", "10", "--connections", "10", "--ops", "1"},
		{"plan", "--workers", "-3", "--ops", "1"},
		{"plan", "--workers", "10", "--ops", "-1"},
		{"plan", "--workers", "10", "--p99", "-1ms"},
		{"plan", "--workers", "10", "--max-skew", "-0.5"},
		{"plan", "--workers", "10", "--cores", "-1", "--ops", "1"},
		{"plan", "--workers", "10"}, // nothing to plan for
		{"plan", "--workers", "10", "--ops", "1", "--workload", "nope"},
		{"plan", "--workers", "10", "--ops", "1", "--mix", "find_server"},
		{"plan", "--workers", "10", "--ops", "1", "--mix", "fly:1"},
		{"plan", "--workers", "10", "--ops", "1", "--dist", "gaussian"},
		{"plan", "--workers", "10", "--ops", "1", "--partitions", "4,x"},
		{"plan", "--workers", "10", "--ops", "1", "--results", "/nonexistent/results"},
		{"plan", "--workers", "ten"},
		{"plan", "--workers", "10", "--ops", "1", "--think", "1s"},                                     // think applies only to connections
		{"plan", "--connections", "100", "--p99", "1ms", "--mix", "find_server:90,register_server:10"}, // a connection does not register after connecting
		{"plan", "--connections", "100", "--p99", "1ms", "--workload", "sustained"},
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
