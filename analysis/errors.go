package analysis

import "errors"

// Sentinel errors. Functions wrap them with context via fmt.Errorf("...: %w"),
// so callers test with errors.Is.
var (
	// ErrNoData is returned for empty input: no counts, no samples, an empty
	// histogram, no measurements.
	ErrNoData = errors.New("analysis: no data")

	// ErrTooFewPoints is returned when a method needs more observations than
	// it was given (a t-interval needs 2 samples, a USL fit 3 distinct N).
	ErrTooFewPoints = errors.New("analysis: too few points")

	// ErrInvalidArgument is returned for arguments outside their domain:
	// negative counts, a confidence level outside (0,1), NaN samples,
	// unsorted bucket edges.
	ErrInvalidArgument = errors.New("analysis: invalid argument")

	// ErrUnstable is returned by the queueing models when the offered load
	// is at or beyond capacity (utilisation >= 1): no steady state exists,
	// so there is no mean or quantile to report.
	ErrUnstable = errors.New("analysis: queue is unstable (utilisation >= 1)")

	// ErrValuesDropped is returned when merging histograms loses values that
	// fall outside the merged histogram's trackable range.
	ErrValuesDropped = errors.New("analysis: histogram values dropped")
)
