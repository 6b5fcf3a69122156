// Package report runs what a design-review report needs and builds it.
//
//	Collect, CollectConfig  measure, quick, into one results directory
//	                        (store's report layout): the built-in scenarios
//	                        (experiments), Sweep (the report's sweep), the
//	                        balance study (experiments/balance) and
//	                        RunQuickCheck (check.Campaign at 1, 4 and 64
//	                        partitions, summarised as store.CheckSummary)
//	                        and the capacity model's calibration and
//	                        validation (capacity/calibrate, quick)
//	Build, Config           load such a directory (store.LoadReport), answer
//	                        the capacity questions from the calibrated model
//	                        (capacity.Plan: this machine, CapacityTargets
//	                        cores; from the sweep when the results hold no
//	                        calibration), render (package paper)
//	Plan, PlanConfig,       the sweep-based planner over sweep results,
//	PlanReport              running a focused quick sweep first when given
//	                        none (analysis.PlanCapacity decides)
//
// What it is not: a renderer (paper turns results into Markdown and
// HTML), a results format (store) or a measurement method (experiments,
// sim and check measure; report only decides what to run and in which
// folder). It reads no flags or environment: the CLI passes the host,
// seed and paths.
//
// Tests: the plan's configuration checks and decisions over the
// committed fixture in ../paper/testdata/results.
package report

import "errors"

// ErrConfig: an invalid Config, CollectConfig, PlanConfig or target. The
// CLI maps it to exit status 2.
var ErrConfig = errors.New("report: invalid configuration")
