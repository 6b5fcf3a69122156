// Package report runs what a design-review report needs and builds it.
//
//	Run, RunConfig          what `shardlab report` does: Collect (or take
//	                        given results), then Build
//	Collect, CollectConfig  measure, quick, into one results directory
//	                        (store's report layout, DefaultDir): the built-in
//	                        scenarios (experiments), ReportSweep, the balance
//	                        study (experiments/balance), RunQuickCheck
//	                        (check.DefaultCampaign at 1, 4 and 64 partitions,
//	                        summarised as store.CheckSummary) and the
//	                        capacity model's calibration and validation
//	                        (capacity/calibrate, quick), and the registries in
//	                        other languages (MeasureBeam: Elixir's Registry at
//	                        1-16 partitions beside impl through the driver
//	                        protocol, driver-bench's measurement, when erl and
//	                        elixir are on PATH, else a stated gap; the kept
//	                        BEAM histories in docs/findings rechecked); an
//	                        interrupted report resumes, a finished one is
//	                        kept aside
//	Build, Config           load such a directory (store.LoadReport), answer
//	                        the capacity questions from the calibrated model
//	                        (capacity.Plan: this machine, CapacityTargets
//	                        cores; from the sweep when the results hold no
//	                        calibration), render (package paper)
//	Plan, PlanConfig,       the sweep-based planner over sweep results,
//	PlanReport,             running a focused quick sweep first when given
//	PlanRequest             none (analysis.PlanCapacity decides); PlanRequest
//	                        holds the defaults a person leaves unstated
//
// What it is not: a renderer (paper turns results into Markdown and
// HTML), a results format (store) or a measurement method (experiments,
// sim and check measure; report only decides what to run and in which
// folder). It reads no flags or environment but PATH (to find erl and
// elixir): the CLI passes the host, seed and paths.
//
// Tests: the plan's configuration checks and decisions, keeping a
// finished report aside, the kept BEAM findings rechecked and the BEAM
// part recorded as not measured without erl and elixir, over the committed fixture in
// ../paper/testdata/results.
package report

import "errors"

// ErrConfig: an invalid Config, CollectConfig, PlanConfig or target. The
// CLI maps it to exit status 2.
var ErrConfig = errors.New("report: invalid configuration")
