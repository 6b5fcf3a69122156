package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

const otherHostCalibration = "testdata/calibration-other-host.json"

// A calibration from another machine kind is refused (exit 2) unless
// --allow-other-host; with it, predict answers in JSON and plan decides.
func TestPredictAndPlanFromAnotherHostsCalibration(t *testing.T) {
	if got := run([]string{"predict", "--calibration", otherHostCalibration, "--workers", "2", "--partitions", "4"}); got != exitUsage {
		t.Errorf("predict with another host's calibration: exit %d, want %d", got, exitUsage)
	}
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"predict", "--calibration", otherHostCalibration, "--allow-other-host", "--cores", "4", "--workers", "4",
		"--partitions", "1,16", "--mix", "bind:60,unbind:20,find_server:20", "--keys", "zipfian", "--ops", "20000", "--replicates", "2", "--json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Predictions []struct {
			Partitions int
			Throughput struct{ Median float64 }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("predict --json: %v\n%s", err, out.String())
	}
	if len(got.Predictions) != 2 || got.Predictions[1].Partitions != 16 || !(got.Predictions[1].Throughput.Median > 0) {
		t.Errorf("predictions %+v, want P=1 and P=16 with throughput", got.Predictions)
	}
	// The README's example plan must be able to pass: connections are
	// judged against their offered load with a tolerance.
	code := run([]string{"plan", "--calibration", otherHostCalibration, "--allow-other-host", "--cores", "2", "--connections", "10000",
		"--think", "100ms", "--p99", "1ms", "--mix", "route_to_server:90,find_server:10", "--partitions", "1,4", "--sim-ops", "20000", "--replicates", "2"})
	if code != exitOK {
		t.Errorf("README plan example: exit %d, want %d", code, exitOK)
	}
}
