// Package paper renders a design-review report: results in, Markdown and
// HTML out. Build takes a loaded report results directory
// (store.Inputs), the registry the report is about, what each peer is,
// and the capacity recommendation, and writes paper/build/report.md, a
// self-contained report.html (figures embedded as base64 PNG; templates
// in templates/, embedded with go:embed) and every figure as PNG and SVG.
//
// The report's sections: abstract, the system, method (machine, versions,
// seeds, what latency means), results (claims audit, scenarios, partition
// balance, figures), capacity recommendation, verification, threats to
// validity. Every number comes from the results; the only constants are
// the seed's claims (package seed), each with the section it is quoted
// from.
//
// What it is not: a measurement package (experiments, sim and check
// measure; package report decides what to run), a results format (store
// reads and validates the directory) or a statistics package (analysis
// computes; plots draws). It imports none of impl, sim or check, and reads
// no flags or environment.
//
// Tests: a golden report.md over the committed fixture in
// testdata/results, built through report.Build (refresh the golden with
// `go test ./paper -update`; measure the fixture anew with
// -update-fixture), and a report over mixed hosts that says so.
package paper
