package experiments

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// progress reports points done and time left: a progress bar on a
// terminal, plain lines otherwise (CI logs). Time left is the sum of the
// remaining points' planned durations, which is known in advance, rather
// than an extrapolation.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int
	count int
}

func newProgress(w io.Writer, terminal bool, total, already int, todo []plan) *progress {
	p := &progress{w: w, total: total, count: already}
	if w == nil {
		return p
	}
	if already > 0 {
		fmt.Fprintf(w, "resuming: %d of %d points already finished\n", already, total)
	}
	if terminal {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("points"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
		)
		_ = p.bar.Set(already)
	} else {
		fmt.Fprintf(w, "%d points to run, about %v\n", len(todo), remaining(todo).Round(time.Second))
	}
	return p
}

func remaining(ps []plan) time.Duration {
	var d time.Duration
	for _, p := range ps {
		d += p.estimate
	}
	return d
}

func (p *progress) start(id string) {
	if p.bar != nil {
		p.bar.Describe(id)
	}
}

func (p *progress) done(id string, pt store.Point, rest []plan) {
	p.count++
	if p.w == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Add(1)
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: %s (about %v left)\n", p.count, p.total, id, units.Rate(pt.Throughput), remaining(rest).Round(time.Second))
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
