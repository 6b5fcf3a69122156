// Package capacity is shardlab's capacity model: a discrete-event
// simulation of the sharded registry on C cores, calibrated by
// measurement, from which predict and plan answer "how many partitions,
// and what p99, for this load on that machine?".
//
// The mechanism it models is the one through which the partition count
// matters: writers queueing on partition locks under the workload's key
// distribution. Reads are lock-free and only compete for cores.
//
// Index:
//
//   - Calibration, KindCost, Estimate, Host: what a machine's registry
//     costs per operation kind (service demand distributions, the share
//     of each write spent holding its lock, the driver's overhead), the
//     contended hand-off, the timer and a connection's wake-up, each over
//     repetitions with an interval; schema-versioned JSON (Save,
//     LoadCalibration), refused from another machine kind unless allowed
//     (ErrOtherHost) or another schema (ErrSchema). Package
//     capacity/calibrate measures one.
//   - Demand: Fixed, Exponential, Empirical (measured quantiles) service
//     and think times.
//   - Config, Simulate, Result: one simulated run, deterministic from
//     Config.Seed. Closed-loop workers, open-loop arrivals (Poisson or
//     paced) and connections with think time (fixed or exponential), as in
//     package sim; every op draws its service demand; writes queue FIFO on
//     the locks of the partitions they touch, chosen by the real
//     partitioner (impl/partition) on keys drawn from sim's real key
//     distributions; the cores are one pool (a goroutine keeps its core
//     until it waits, or for a 10 ms quantum while others are runnable);
//     reads never wait for a lock. Result: throughput, latency
//     percentiles (HdrHistogram, ns), lock-wait percentiles, each
//     partition lock's and the cores' utilisation, the hottest key's lock
//     time.
//   - Predict, Prediction: Simulate over replicates (seeds, and the
//     calibration's repetitions) with intervals.
//   - Plan, PlanConfig, PlanResult: the smallest partition count meeting a
//     target with a margin, the limiting resource named, prose and table.
//
// Checked against queueing theory where its assumptions hold (tests):
// one core with Poisson arrivals and exponential service is analysis.MM1,
// c cores analysis.MMc, a partition lock under uniform writes an M/M/1
// queue of its share; a closed loop and connections obey the operational
// laws.
//
// What it is not: a measurement. It runs no registry and reads no clock;
// its answers are only as good as the calibration and the validation
// (shardlab validate-model) say. Measuring lives in capacity/calibrate.
package capacity
