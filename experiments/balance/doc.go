// Package balance is shardlab's partition balance study: how evenly each
// partitioner spreads keys over 1..1024 partitions, measured beside what an
// ideal hash would do, and how many keys move when the partition count
// grows by one.
//
// For every partitioner (partition.Names()), partition count and key count
// (keys are the seed's "server_N" IDs, N = 0..keys-1) a Cell records:
//
//   - the placement's skew (analysis.Skew: the seed's (max-min)/(mean+1),
//     max/mean, CV, chi-square p-value), beside the closed-form ideal-hash
//     expectation (analysis.ExpectedIdealSkew) and a seeded Monte Carlo band
//     (analysis.SimulateIdealSkew: mean and central 95 %);
//   - a verdict (analysis.JudgeBalance at analysis.DefaultAlpha);
//   - the keys that change partition from n to n+1 (partition.Moved) and
//     the fraction theory expects: 1/(n+1) for jump, rendezvous and ring
//     (only the new partition takes keys), 1/2 for hashmod (Lemire's
//     (h*n)>>64 reduction moves every boundary: the keys in
//     [k/(n+1), k/n) for k = 1..n, which sum to exactly one half), 0 for
//     single.
//
// SeedCheck re-examines the seed's claim (10,000 server_N keys in 64
// partitions, skew 0.18): it places the keys in a real registry (impl.New,
// then PartitionStats().Entries), checks that this equals
// partition.Counts with the same partitioner, and puts the measured skew
// beside the ideal-hash distribution and the fraction of simulated trials
// at or below the claimed 0.18.
//
// Index:
//
//	Config, Run        run the study (seeded, reproducible)
//	Study, Cell, SeedCheck   the results
//	Write, Load        balance.json + balance.csv, written atomically;
//	                   Load refuses other schema versions (ErrSchema)
//	ExpectedMovedFraction    the theory above
//	SeedClaimedSkew    the seed's claim, with its source
//
// What it is not: a throughput study (placements are computed, not timed)
// and not a figure builder (package plots draws, package paper reports).
// It reads no flags or environment; the caller passes the host and seed.
package balance
