// Package paper turns a report's results directory into a design-review
// report: paper/build/report.md and a self-contained report.html (figures
// embedded as base64 PNG; templates in templates/, embedded with
// go:embed), with figures saved beside them as PNG and SVG.
//
// Index:
//
//	Collect, CollectConfig  run every part quick into one directory:
//	                        scenarios/ (the seed's ten, experiments),
//	                        sweep/ (ReportSweep), balance/ (package
//	                        experiments/balance), check.json (RunQuickCheck)
//	Load, Inputs            read and validate such a directory: ErrEmpty,
//	                        ErrPartial, ErrSchema, ErrMixedHosts
//	Build, Config, Built    figures + report.md + report.html
//	Plan, PlanConfig,       the capacity planner over sweep results
//	PlanReport, SweepCells, (analysis.PlanCapacity decides; Measurements
//	Measurements            converts aggregated sweep cells)
//	SeedClaims              the seed's claims: constants with their source
//	RunQuickCheck,          the verification summary (check.Campaign at
//	CheckSummary            1, 4 and 64 partitions) stored as check.json
//
// The report's sections: abstract, the system, method (machine, versions,
// seeds, what latency means), results (claims audit, scenarios, partition
// balance, figures), capacity recommendation, verification, threats to
// validity. Every number comes from the results directory; the only
// constants are the seed's claims, each with the section it is quoted from.
//
// What it is not: a measurement package (experiments and sim measure) or
// a statistics package (analysis computes; plots draws). It reads no flags
// or environment: the CLI passes the host, seed and paths.
//
// Tests: a golden report.md over the committed fixture in testdata/results
// (refresh with `go test ./paper -update`; rebuild the fixture itself with
// -update-fixture), and bad-input tests (schema version, empty directory,
// partial results, mixed hosts).
package paper
