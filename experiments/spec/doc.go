// Package spec is the format of shardlab's experiments, as data: a
// Scenario (one stress test, with its acceptance Checks), a Sweep (a grid
// of partitions x workers or connections x workload x registry) and the
// small types they are built from. Scenario and sweep files are JSON in
// this shape, and a results folder's meta.json records the resolved spec
// that ran, so readers of results (package store, package paper) decode
// it with these types without linking the runner.
//
// What it is not: validation or execution. Package experiments validates
// a spec (ValidateScenario, ValidateSweep, LoadScenarios, LoadSweep),
// knows the built-in scenarios and runs them; the JSON format is
// documented there.
package spec
