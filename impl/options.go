package impl

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/impl/partition"
)

// Defaults for Options. Each says why.
const (
	// DefaultPartitions is the seed's production choice; the sweeps in
	// package experiments say whether it is the right one for a workload.
	DefaultPartitions = 64
	// DefaultAdmissionFraction: registrations are rejected while more than
	// half of the partitions are alarmed, as the seed specified.
	DefaultAdmissionFraction = 0.5
	// DefaultContentionWindow is how long a contention window lasts. 100 ms
	// holds enough write-lock acquisitions to average over at any load
	// where contention matters, and lets an alarm clear within a fraction
	// of a second of the load dropping.
	DefaultContentionWindow = 100 * time.Millisecond
	// DefaultAlarmWait: a partition alarms when its writers waited, on
	// average over a window, more than this for its lock. An uncontended
	// write holds the lock for well under a microsecond, so 100 µs of mean
	// wait means about a hundred writers queued on one partition.
	DefaultAlarmWait = 100 * time.Microsecond
	// DefaultClearWait is the hysteresis: an alarmed partition clears only
	// when its mean wait falls below half the alarm level, so a partition
	// hovering at the threshold does not flap.
	DefaultClearWait = 50 * time.Microsecond
	// DefaultMinWindowWrites: a window with fewer write-lock acquisitions
	// than this says too little to raise an alarm (it can still clear one).
	DefaultMinWindowWrites = 16
	// DefaultReadSampling counts one read in 64 (adding 64) so the read
	// path writes a shared counter rarely; the count is an estimate with a
	// relative error of about 1/sqrt(reads/64).
	DefaultReadSampling = 64
)

// Errors returned by New for invalid Options (wrapped with the value).
var (
	ErrPartitions        = fmt.Errorf("impl: partition count out of range [1, %d]", partition.MaxPartitions)
	ErrPartitioner       = errors.New("impl: partitioner does not match the partition count")
	ErrAdmissionFraction = errors.New("impl: admission fraction out of range (0, 1]")
	ErrThresholds        = errors.New("impl: invalid contention thresholds")
	ErrReadSampling      = errors.New("impl: read sampling must be a power of two in [1, 65536]")
)

// Clock returns the time elapsed since some fixed origin. The registry reads
// it only when a write finds its partition's lock held and when it
// re-evaluates alarms; tests inject a fake one.
type Clock func() time.Duration

// SystemClock reads the monotonic clock.
func SystemClock() Clock {
	origin := time.Now()
	return func() time.Duration { return time.Since(origin) }
}

// Options configure New. The zero value gives the defaults.
type Options struct {
	// Partitions is the number of partitions, 1..partition.MaxPartitions
	// (default: the Partitioner's count when one is given, else 64).
	Partitions int
	// Partitioner places IDs; its Partitions() must equal Partitions
	// (default: partition.NewHashMod(Partitions)).
	Partitioner partition.Partitioner
	// Clock is read for contention measurement (default SystemClock()).
	Clock Clock
	// ContentionWindow, AlarmWait, ClearWait, MinWindowWrites: see the
	// Default* constants. ClearWait must not exceed AlarmWait; left zero it
	// is min(DefaultClearWait, AlarmWait), which is no hysteresis at all
	// when AlarmWait is set below DefaultClearWait.
	ContentionWindow time.Duration
	AlarmWait        time.Duration
	ClearWait        time.Duration
	MinWindowWrites  int
	// AdmissionFraction: registrations fail with model.ErrOverloaded while
	// more than this fraction of partitions is alarmed (default 0.5). The
	// number of alarms allowed is floor(AdmissionFraction x Partitions),
	// computed exactly on the shortest decimal that prints as the
	// fraction: 0.29 of 100 partitions allows 29 (float64 multiplication
	// would give 28.999999999999996, so 28), 0.5 of 3 allows 1.
	AdmissionFraction float64
	// DisableAdmission turns admission control off (alarms still fire).
	DisableAdmission bool
	// ReadSampling counts one read in ReadSampling (default 64; 1 counts
	// every read exactly, at the cost of a shared write per read).
	ReadSampling int

	_ struct{}
}

// admissionLimit is the number of alarmed partitions admission control
// tolerates: floor(fraction x partitions) on the fraction's shortest
// decimal form (see Options.AdmissionFraction). fraction is in (0, 1].
func admissionLimit(fraction float64, partitions int) int64 {
	f, ok := new(big.Rat).SetString(strconv.FormatFloat(fraction, 'g', -1, 64))
	if !ok { // cannot happen for a finite float64
		return int64(fraction * float64(partitions))
	}
	f.Mul(f, new(big.Rat).SetInt64(int64(partitions)))
	return new(big.Int).Quo(f.Num(), f.Denom()).Int64() // both positive: Quo floors
}

// withDefaults fills zero fields and validates the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Partitions == 0 {
		if o.Partitioner != nil {
			o.Partitions = o.Partitioner.Partitions()
		} else {
			o.Partitions = DefaultPartitions
		}
	}
	if o.Partitions < 1 || o.Partitions > partition.MaxPartitions {
		return o, fmt.Errorf("%w: %d", ErrPartitions, o.Partitions)
	}
	if o.Partitioner == nil {
		p, err := partition.NewHashMod(o.Partitions)
		if err != nil {
			return o, err
		}
		o.Partitioner = p
	} else if o.Partitioner.Partitions() != o.Partitions {
		return o, fmt.Errorf("%w: partitioner %s has %d partitions, options say %d",
			ErrPartitioner, o.Partitioner.Name(), o.Partitioner.Partitions(), o.Partitions)
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.ContentionWindow == 0 {
		o.ContentionWindow = DefaultContentionWindow
	}
	if o.AlarmWait == 0 {
		o.AlarmWait = DefaultAlarmWait
	}
	if o.ClearWait == 0 {
		o.ClearWait = min(DefaultClearWait, o.AlarmWait)
	}
	if o.MinWindowWrites == 0 {
		o.MinWindowWrites = DefaultMinWindowWrites
	}
	if o.ContentionWindow < 0 || o.AlarmWait < 0 || o.ClearWait < 0 || o.MinWindowWrites < 0 {
		return o, fmt.Errorf("%w: window %v, alarm %v, clear %v, min writes %d must not be negative",
			ErrThresholds, o.ContentionWindow, o.AlarmWait, o.ClearWait, o.MinWindowWrites)
	}
	if o.ClearWait > o.AlarmWait {
		return o, fmt.Errorf("%w: clear level %v above alarm level %v", ErrThresholds, o.ClearWait, o.AlarmWait)
	}
	if o.AdmissionFraction == 0 {
		o.AdmissionFraction = DefaultAdmissionFraction
	}
	if !(o.AdmissionFraction > 0 && o.AdmissionFraction <= 1) {
		return o, fmt.Errorf("%w: %v", ErrAdmissionFraction, o.AdmissionFraction)
	}
	if o.ReadSampling == 0 {
		o.ReadSampling = DefaultReadSampling
	}
	if o.ReadSampling < 1 || o.ReadSampling > 1<<16 || o.ReadSampling&(o.ReadSampling-1) != 0 {
		return o, fmt.Errorf("%w: %d", ErrReadSampling, o.ReadSampling)
	}
	return o, nil
}

// PartitionStat is one partition's statistics. Counts are since New, except
// Entries, which is the live contents.
type PartitionStat struct {
	Partition int
	// Entries is the number of servers plus transports stored here.
	Entries int
	// Servers and Transports split Entries.
	Servers, Transports int
	// Reads is an estimate of lookups and routes served (sampled, see
	// Options.ReadSampling).
	Reads int64
	// Writes counts write-lock acquisitions (registrations,
	// unregistrations, binds, owner-death cleanup).
	Writes int64
	// ContendedWrites counts acquisitions that found the lock held.
	ContendedWrites int64
	// WaitTotal is the summed time writers waited for this partition's lock.
	WaitTotal time.Duration
	// MaxWait is the longest single wait.
	MaxWait time.Duration
	// WindowMeanWait is the mean wait per write over the last finished
	// contention window: the figure alarms compare with their thresholds.
	WindowMeanWait time.Duration
	// Alarmed reports whether the partition's contention alarm is raised.
	Alarmed bool
	// Alarms counts how many times the alarm was raised.
	Alarms int64
}

// ContentionStatus summarises alarms and admission control.
type ContentionStatus struct {
	Partitions int
	// Alarmed lists the alarmed partitions, ascending.
	Alarmed []int
	// Overloaded reports whether registrations are being rejected now.
	Overloaded bool
	// Rejected counts registrations rejected with ErrOverloaded.
	Rejected int64
	// AlarmWait, ClearWait and AdmissionFraction echo the configuration.
	AlarmWait, ClearWait time.Duration
	AdmissionFraction    float64
}
