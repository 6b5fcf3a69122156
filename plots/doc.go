// Package plots builds shardlab's report figures with gonum/plot from
// plain data structs and analysis results. Every builder gives its figure
// a title, axis labels with units and a legend, and returns an error
// (ErrNoData) rather than an empty plot when there is nothing to draw.
//
// Index:
//
//	SkewVsPartitions    skew vs partition count per partitioner, ideal-hash band, key count in the title (log2 x; log y when skews span decades)
//	P99VsWorkers        p99 latency vs workers per partition count (log x and y), error bars, core-count marker
//	ThroughputVsWorkers throughput vs workers with USL fit curves where USLFitUsable, error bars, core-count marker
//	LatencyPercentiles  latency by percentile on a "nines" axis (log y) with each curve's max;
//	                    CurveFromHistogram samples an HdrHistogram for it, CurveCutoff words its cut-off for a caption
//	PartitionLoad       per-partition load bars with mean and ideal E[max]/E[min]
//	KeysMoved           keys moved growing n → n+1 per partitioner, with theory 1/(n+1) and 1/2 (log axes)
//	ThroughputOverTime  per-interval throughput of sustained runs
//	CompareRegistries   dot plot: a value (with interval) per registry per scenario, rows named as the scenarios are
//	P99VsPartitions     the capacity model's p99 vs partitions per core
//	                    count, each line's lock-utilisation knee marked
//	ModelVsMeasured     predicted vs measured (log-log), y = x and a band
//	Save                write PNG and SVG atomically (temp file + rename)
//
// The look, shared by every figure so a reviewer reads them one way:
// Liberation Sans (bundled with gonum/plot; Arial's metrics), matching
// the report page's sans-serif, with Arial/Helvetica as the SVG
// fallback; the legend under the plot, never over data; axes labelled in
// one notation (SI suffixes for counts and rates, scaled time units for
// latencies, never 1e+06); ticks at the measured worker and partition
// counts; at least four labelled ticks on linear axes and every decade
// (with 2 and 5 on short ranges) on log axes; logarithmic axes wherever
// values span more than a decade; references labelled on the figure in
// colours and dash patterns of their own; intervals as error bars.
//
// Figures that show latency take a Kind ("closed-loop service time",
// "open-loop, from intended start") because docs/design.md requires every
// latency figure to say which it shows.
//
// What it is not: it computes no statistics beyond what a figure needs to
// place its lines (fits, bands and expectations come from package
// analysis), runs nothing, and reads no flags. Tests pin each figure as
// an SVG golden file under testdata/, refreshed with
// `go test ./plots -update`; `-png DIR` also writes them as PNGs to
// look at before committing.
package plots
