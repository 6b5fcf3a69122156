// Package paper renders a design-review report: results in, Markdown and
// HTML out. Build takes a loaded report results directory
// (store.Inputs), the registry the report is about, what each peer is,
// and the capacity recommendation, and writes paper/build/report.md, a
// self-contained report.html (figures embedded as SVG, sharp at any zoom;
// templates in templates/, embedded with go:embed) and every figure as PNG
// and SVG beside it.
//
// The report's sections: contents, abstract, findings (findings.go: each
// latency claim in both bases, every peer comparison judged against the
// run-to-run spread, the maximum latency and its cause, admission
// rejections), the system, method, noise (the driver ceiling's range,
// the spread of repeated sweep cells, points measured on a busy machine),
// results (claims audit with verdicts on intervals, annotate.go;
// scenarios with the machine's load; partition balance; figures),
// capacity recommendation, verification, registries in other languages
// (beam.go: Elixir's Registry beside impl through the driver protocol as
// a share of each language's null driver, or a stated gap with how to
// measure it, and the kept BEAM findings' verdicts), conclusions in prose,
// threats to validity. Every number comes from the results; the only constants are
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
// -update-fixture), a report over mixed hosts that says so, findings over
// synthetic points, and the layout test: report.html rendered in headless
// Chromium at 1,024 px must keep every element inside its column and show
// every figure (browser_test.go; -report FILE checks a built report, as
// make report-check does).
package paper
