package seed

// The seed's placement experiment: 10,000 server_N keys registered in a
// 64-partition registry (docs/seed.md, "Partition distribution").
const (
	PlacementKeys = 10_000
	Partitions    = 64
)

// ClaimedSkew is the seed's claimed partition skew for that placement
// ("Skew Ratio: 0.18 (18% skew, target < 30%)"); TargetSkew its
// acceptance target ("< 30% skew").
const (
	ClaimedSkew = 0.18
	TargetSkew  = 0.30
)
