package impl

import "time"

// closeWindow ends p's current contention window at now and raises or
// clears the alarm. The caller holds p.mu.
//
// The figure is the mean wait per write-lock acquisition over the window,
// counting uncontended acquisitions as zero wait: it is what a writer to
// this partition paid on average. An alarm needs MinWindowWrites
// acquisitions in the window; clearing needs none, so a partition that has
// gone quiet clears.
func (r *Registry) closeWindow(p *shard, now time.Duration) {
	var mean time.Duration
	if p.winWrites > 0 {
		mean = p.winWait / time.Duration(p.winWrites)
	}
	p.lastMean = mean
	switch {
	case !p.alarmed && p.winWrites >= int64(r.opts.MinWindowWrites) && mean > r.opts.AlarmWait:
		p.alarmed = true
		p.alarms++
		r.alarmed.Add(1)
	case p.alarmed && mean < r.opts.ClearWait:
		p.alarmed = false
		r.alarmed.Add(-1)
	}
	p.winStart, p.winWrites, p.winWait = now, 0, 0
}

// reevaluate closes every alarmed partition's window that has run its
// length. Windows otherwise close only when a writer waits, so without this
// an alarm could outlive the load that raised it; this runs when admission
// control is rejecting, at most four times a window.
func (r *Registry) reevaluate() {
	now := r.clock()
	last := r.lastEval.Load()
	if time.Duration(int64(now)-last) < r.opts.ContentionWindow/4 || !r.lastEval.CompareAndSwap(last, int64(now)) {
		return
	}
	r.closeExpiredWindows(now)
}

// closeExpiredWindows closes every alarmed partition's window that has run
// its length. The writes the window recorded are judged at its due end. If
// a whole window or more has passed since then, no writer waited for the
// lock in that time (a waiting writer closes an expired window itself), so
// that time is judged as the quiet window it was, which clears the alarm:
// an alarm does not outlive its load by more than two windows, however
// long ago the last write was.
func (r *Registry) closeExpiredWindows(now time.Duration) {
	w := r.opts.ContentionWindow
	for i := range r.parts {
		p := &r.parts[i]
		p.mu.Lock()
		if p.alarmed && now-p.winStart >= w {
			quiet := now-p.winStart >= 2*w
			r.closeWindow(p, p.winStart+w)
			if quiet {
				r.closeWindow(p, now)
			}
		}
		p.mu.Unlock()
	}
}

// PartitionStats closes any expired windows of alarmed partitions (as
// ContentionStatus does) and returns every partition's statistics. Each
// partition is read under its lock; the set as a whole is not one instant.
func (r *Registry) PartitionStats() []PartitionStat {
	r.closeExpiredWindows(r.clock())
	out := make([]PartitionStat, len(r.parts))
	for i := range r.parts {
		p := &r.parts[i]
		p.mu.Lock()
		out[i] = PartitionStat{
			Partition:       i,
			Entries:         p.srv.linked + p.trn.linked,
			Servers:         p.srv.linked,
			Transports:      p.trn.linked,
			Reads:           p.reads.Load(),
			Writes:          p.writes,
			ContendedWrites: p.contended,
			WaitTotal:       p.waitTotal,
			MaxWait:         p.maxWait,
			WindowMeanWait:  p.lastMean,
			Alarmed:         p.alarmed,
			Alarms:          p.alarms,
		}
		p.mu.Unlock()
	}
	return out
}

// ContentionStatus closes any expired windows of alarmed partitions and
// reports alarms and admission control.
func (r *Registry) ContentionStatus() ContentionStatus {
	r.closeExpiredWindows(r.clock())
	st := ContentionStatus{
		Partitions:        len(r.parts),
		Rejected:          r.rejected.Load(),
		AlarmWait:         r.opts.AlarmWait,
		ClearWait:         r.opts.ClearWait,
		AdmissionFraction: r.opts.AdmissionFraction,
	}
	for i := range r.parts {
		p := &r.parts[i]
		p.mu.Lock()
		if p.alarmed {
			st.Alarmed = append(st.Alarmed, i)
		}
		p.mu.Unlock()
	}
	st.Overloaded = !r.opts.DisableAdmission && int64(len(st.Alarmed)) > r.admitLimit
	return st
}
