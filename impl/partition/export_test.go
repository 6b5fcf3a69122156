package partition

// RingPoint and RingPointsForTest expose a ring's points to the external
// tests, which check the bucketed lookup against a linear scan.
type RingPoint struct {
	At    uint64
	Owner int
}

func RingPointsForTest(p Partitioner) []RingPoint {
	r := p.(ring)
	pts := make([]RingPoint, len(r.points))
	for i := range r.points {
		pts[i] = RingPoint{At: r.points[i], Owner: int(r.owners[i])}
	}
	return pts
}
