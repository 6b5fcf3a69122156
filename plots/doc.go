// Package plots builds shardlab's report figures with gonum/plot from
// plain data structs and analysis results. Every builder gives its figure
// a title, axis labels with units and a legend, and returns an error
// (ErrNoData) rather than an empty plot when there is nothing to draw.
//
// Index:
//
//	SkewVsPartitions    skew vs partition count per partitioner, ideal-hash band (log2 x)
//	P99VsWorkers        p99 latency vs workers per partition count (log y)
//	ThroughputVsWorkers throughput vs workers with USL fit curves
//	LatencyPercentiles  latency by percentile on a "nines" axis (log y);
//	                    CurveFromHistogram samples an HdrHistogram for it
//	PartitionLoad       per-partition load bars with mean and ideal E[max]/E[min]
//	ThroughputOverTime  per-interval throughput of sustained runs
//	CompareRegistries   grouped bars: a value per registry per scenario
//	KeysMoved           keys moved per added partition, with theory 1/(n+1) and 1/2
//	P99VsPartitions     the capacity model's p99 vs partitions per core
//	                    count, each line's lock-utilisation knee marked
//	ModelVsMeasured     predicted vs measured (log-log), y = x and a band
//	Save                write PNG and SVG atomically (temp file + rename)
//
// Figures that show latency take a Kind ("closed-loop service time",
// "open-loop, from intended start") because docs/design.md requires every
// latency figure to say which it shows.
//
// What it is not: it computes no statistics beyond what a figure needs to
// place its lines (fits, bands and expectations come from package
// analysis), runs nothing, and reads no flags. Tests pin each figure as
// an SVG golden file under testdata/, refreshed with
// `go test ./plots -update`.
package plots
