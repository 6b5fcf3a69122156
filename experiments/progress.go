package experiments

import (
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// progress reports points done and time left: a one-line progress bar
// on a terminal, plain lines otherwise (CI logs). Time left is the sum of
// the remaining points' planned durations, known in advance, rather than
// an extrapolation; on resume it counts only the points still to run, so
// finished points neither shorten nor stretch it.
type progress struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	width    int // terminal columns
	total    int
	count    int
	todo     []plan
	finished int // of todo
}

// barColumns is the room the bar itself takes after the description:
// " 100% |" + 20 cells + "|" and a margin.
const barColumns = 32

func newProgress(w io.Writer, terminal bool, total, already int, todo []plan) *progress {
	p := &progress{w: w, total: total, count: already, todo: todo, width: 80}
	if w == nil {
		return p
	}
	if already > 0 {
		fmt.Fprintf(w, "resuming: %d of %d points already finished\n", already, total)
	}
	if terminal {
		if f, ok := w.(*os.File); ok {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
				p.width = cols
			}
		}
		p.bar = progressbar.NewOptions(len(todo),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(20),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionClearOnFinish(),
		)
		p.describe("starting")
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

// describe sets the bar's description to "[done/total] id, ~T left",
// cut so the whole line fits the terminal: a line that wraps cannot be
// redrawn in place and leaves stale lines behind.
func (p *progress) describe(id string) {
	left := remaining(p.todo[p.finished:]).Round(time.Second)
	// Time left first: when the line must be cut, the point's name goes.
	d := fmt.Sprintf("[%d/%d] ~%v left: %s", p.count, p.total, left, id)
	p.bar.Describe(fitColumns(d, p.width-barColumns))
}

// fitColumns cuts s to at most n runes, marking a cut with "…".
func fitColumns(s string, n int) string {
	n = max(n, 10)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (p *progress) start(id string) {
	if p.bar != nil {
		p.describe(id)
	}
}

func (p *progress) done(id string, pt store.Point, rest []plan) {
	p.count++
	p.finished = len(p.todo) - len(rest)
	if p.w == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Add(1)
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: %s (about %v left)\n", p.count, p.total, id, units.Rate(pt.Throughput), remaining(rest).Round(time.Second))
}

// warn prints a line of its own: on a terminal it first clears the bar,
// which redraws below it, so a warning never runs into the bar's line.
func (p *progress) warn(format string, args ...any) {
	if p.w == nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	if p.bar != nil {
		_ = p.bar.Clear()
		line = fitColumns(line, p.width-1)
	}
	fmt.Fprintln(p.w, line)
	if p.bar != nil {
		_ = p.bar.RenderBlank()
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
