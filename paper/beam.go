package paper

import (
	"fmt"
	"html"
	htmltemplate "html/template"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/store"
)

// beamSection is the report's section "Registries in other languages":
// Elixir's Registry beside impl through the driver protocol (beam.json's
// rows, each as a share of its language's null driver), and the kept BEAM
// findings as the collect step rechecked them. It is never left out: when
// nothing was measured, NotMeasured says so and how to measure.
type beamSection struct {
	Intro        string
	NotMeasured  string
	Rows         []beamRow
	Findings     []store.BeamFinding
	FindingsNote string
}

// beamRow is one table row: medians over the repeats, with the range.
type beamRow struct {
	Registry, Partitions, Op, OpsPerSec, Range, P50, P99, Share string
	Errors                                                      int64
}

// beamInstall repeats report.BeamInstall (paper does not import report).
const beamInstall = "install Erlang and Elixir (`apt-get install erlang-nox elixir`), then run `make report`"

func newBeamSection(b *store.Beam) *beamSection {
	if b == nil {
		return &beamSection{
			NotMeasured:  "Not measured: these results predate the section. To measure it, " + beamInstall + ".",
			FindingsNote: "The kept histories were not rechecked for these results.",
		}
	}
	s := &beamSection{Findings: b.Findings, FindingsNote: b.FindingsNote}
	if !b.Measured {
		s.NotMeasured = "Elixir's Registry was " + cmpOr(b.NotMeasured, "not measured on this machine")
		if !strings.Contains(s.NotMeasured, "apt-get") {
			s.NotMeasured += "; to measure it, " + beamInstall
		}
		s.NotMeasured += "."
		return s
	}
	s.Intro = fmt.Sprintf("Elixir's `Registry` (`keys: :unique`, `partitions: N`) and shardlab's impl through the Go driver, measured through the same driver protocol in the same run, with the null drivers of both languages (which do nothing: their figures are the protocol's own ceiling). Closed loop, %d clients, one operation kind at a time, %v per run, %d interleaved repeats, %d servers preloaded; ops/s is the median over the repeats with its range, p50 and p99 are service time with the round trip through the driver's stdin and stdout included, and the share divides each median by the null driver's of the same language. A null driver does the least work a driver can, so a share above 1.00 is this machine's noise: there the registry and its null driver are indistinguishable.",
		b.Workers, time.Duration(b.DurationNs), b.Repeats, b.Servers)
	nulls := map[[2]string]float64{}
	for _, r := range b.Rows {
		if r.Null {
			nulls[[2]string{r.Driver, r.Kind}] = median(r.Throughput)
		}
	}
	for _, r := range b.Rows {
		row := beamRow{Registry: r.Driver, Partitions: "-", Op: r.Kind, Errors: r.Errors,
			OpsPerSec: fmt.Sprintf("%.0f", median(r.Throughput)),
			Range:     fmt.Sprintf("%.0f–%.0f", slices.Min(r.Throughput), slices.Max(r.Throughput)),
			P50:       durMedian(r.P50Ns), P99: durMedian(r.P99Ns), Share: "-"}
		if r.Partitions > 0 {
			row.Partitions = fmt.Sprint(r.Partitions)
		}
		if n, ok := nulls[[2]string{r.Baseline, r.Kind}]; ok && !r.Null && n > 0 {
			row.Share = fmt.Sprintf("%.2f× %s", median(r.Throughput)/n, r.Baseline)
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func durMedian(ns []int64) string {
	f := make([]float64, len(ns))
	for i, n := range ns {
		f[i] = float64(n)
	}
	return time.Duration(median(f)).Round(time.Microsecond).String()
}

// codeHTML escapes s and turns Markdown `code` spans into <code>.
func codeHTML(s string) htmltemplate.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + html.EscapeString(p) + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(html.EscapeString(p))
	}
	return htmltemplate.HTML(b.String())
}
