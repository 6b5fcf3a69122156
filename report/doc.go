// Package report runs what a design-review report needs and builds it.
//
//	Run, RunConfig          what `shardlab report` does: Collect (or take
//	                        given results), then Build
//	Collect, CollectConfig  measure, quick, into one results directory
//	                        (store's report layout, DefaultDir): the built-in
//	                        scenarios (experiments), ReportSweep, the balance
//	                        study (experiments/balance) and RunQuickCheck
//	                        (check.DefaultCampaign at 1, 4 and 64 partitions,
//	                        summarised as store.CheckSummary); an interrupted
//	                        report resumes, a finished one is kept aside
//	Build, Config           load such a directory (store.LoadReport), answer
//	                        the capacity question (ReportTarget), render
//	                        (package paper)
//	Plan, PlanConfig,       the capacity planner over sweep results, running
//	PlanReport,             a focused quick sweep first when given none
//	PlanRequest             (analysis.PlanCapacity decides); PlanRequest holds
//	                        the defaults a person leaves unstated
//
// What it is not: a renderer (paper turns results into Markdown and
// HTML), a results format (store) or a measurement method (experiments,
// sim and check measure; report only decides what to run and in which
// folder). It reads no flags or environment: the CLI passes the host,
// seed and paths.
//
// Tests: the plan's configuration checks and decisions, and keeping a
// finished report aside, over the committed fixture in
// ../paper/testdata/results.
package report

import "errors"

// ErrConfig: an invalid Config, CollectConfig, PlanConfig or target. The
// CLI maps it to exit status 2.
var ErrConfig = errors.New("report: invalid configuration")
