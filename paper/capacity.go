package paper

import (
	"gonum.org/v1/plot"

	"github.com/shardlab/shardlab/plots"
)

// Capacity is the report's capacity section when the results hold a
// calibration of the capacity model: the plans it answers (each its prose
// and table, computed by the caller), the model checked against this
// machine's measurements, and the data of its two figures.
type Capacity struct {
	Intro string
	Plans []CapacityPlan
	// ValidationIntro and Validation: the validate-model table (every
	// cell: predicted, measured, relative error) and its summary lines.
	ValidationIntro string
	Validation      string
	// Curves: predicted p99 (µs) against partitions, one per core count,
	// Knees[i] the partition count where line i's hottest lock falls to
	// KneeLabel; CurvesKind says which workload and latency.
	Curves     []plots.Series
	Knees      []float64
	KneeLabel  string
	CurvesKind string
	Goal       float64 // µs, drawn as a reference; 0 none
	// Agreement: predicted (Y) against measured (X) p99 in µs, one group
	// per kind of cell; AgreementBand the aim drawn around y = x.
	Agreement     []plots.Series
	AgreementBand float64
}

// CapacityPlan is one answered capacity question.
type CapacityPlan struct {
	Title, Prose, Table string
}

func capacityFigures(c *Capacity) []figureBuilder {
	if c == nil {
		return nil
	}
	return []figureBuilder{
		{id: "capacity_p99_vs_partitions", title: "Predicted p99 vs partitions for several core counts", latency: latencyClosed,
			caption: "The capacity model (discrete-event simulation calibrated on this machine), " + c.CurvesKind + "; median of the replicates. A ring marks each line's knee: the smallest partition count at which the hottest partition lock is at most half busy; beyond it more partitions buy little. A line without a ring never gets there: its hottest key alone keeps one lock busier than that, and no partition count splits a key.",
			build: func() (*plot.Plot, error) {
				var refs []plots.Reference
				if c.Goal > 0 {
					refs = append(refs, plots.Reference{Name: "goal: p99 " + plots.FormatMicros(c.Goal), Value: c.Goal})
				}
				return plots.P99VsPartitions(plots.PartitionLatencyFigure{Kind: "model", Lines: c.Curves, Knees: c.Knees, KneeLabel: c.KneeLabel, References: refs})
			}},
		{id: "capacity_model_vs_measured", title: "Model vs measured p99 on this machine", latency: latencyClosed,
			caption: "Each point is one validate-model cell (GOMAXPROCS, workers, workload, partitions): the median measured p99 of the real registry against the model's prediction. Points on the line agree; the dashed lines are the ±30 % aim.",
			build: func() (*plot.Plot, error) {
				return plots.ModelVsMeasured(plots.AgreementFigure{Title: "Model vs measured p99 (closed-loop service time)", Metric: "p99, µs", Groups: c.Agreement, Band: c.AgreementBand})
			}},
	}
}
