// Package analysis turns shardlab's raw results into the numbers a design
// review needs: latency percentiles, partition skew beside its theoretical
// expectation, confidence intervals over repetitions, Universal
// Scalability Law fits, queueing models and the capacity planner. Every
// metric the report cites is defined here, once, with its formula in the
// doc comment.
//
// Index:
//
//	Latency (HdrHistogram; values stay in the histogram's unit)
//	  Summarize          count, mean, min, p50, p95, p99, p99.9, max
//	  MergeHistograms    combine per-worker histograms
//	  BucketCounts       counts per latency bucket (the seed's 0,10,25,...,5000 µs)
//
//	Skew over per-partition counts
//	  Skew               seed skew (max-min)/(mean+1), max/mean, CV, chi-square p-value
//	  ExpectedIdealSkew  closed-form balls-into-bins expectation (Gumbel limit)
//	  SimulateIdealSkew  seeded Monte Carlo of the same: the "theoretical band"
//	  JudgeBalance       is a partitioner measurably worse (or more even) than ideal?
//
//	Repetitions
//	  MeanCI             Student-t interval of the mean
//	  BootstrapCI        percentile bootstrap for any statistic (seeded)
//	  Median, Quantile   type-7 quantiles
//
//	Scalability and queueing
//	  FitUSL             X(N) = λN / (1 + σ(N-1) + κN(N-1)), peak N*, Predict
//	  MM1, MMc           utilisation, P(wait), mean wait/response, response-time quantiles
//
//	Planning
//	  PlanCapacity       smallest partition count meeting a target, with evidence grades
//	  CapacityPlan.Table the plan as a plain-text table
//
// What it is not: it runs nothing, reads no clock, files or flags, and
// owns no global state. Random work (Monte Carlo, bootstrap) takes a
// *rand.Rand from the caller, so every number is reproducible from a seed.
// It depends on gonum and hdrhistogram-go only, not on the registry,
// workloads or experiment packages; figures live in package plots.
//
// Errors are sentinels (ErrNoData, ErrTooFewPoints, ErrInvalidArgument,
// ErrUnstable, ErrValuesDropped) wrapped with context; test with errors.Is.
// No function panics on bad input.
//
// Random tests draw from one PCG seed and print it when they fail; replay
// one with `go test ./analysis -run NAME -seed N`.
package analysis
