package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shardlab/shardlab/model"
)

// ErrStalled is returned when clients did not finish before the context
// ended: the registry hung (a deadlock, or an operation that never returns).
var ErrStalled = errors.New("check: clients did not finish; operations still running are recorded as pending")

// ErrCampaign is wrapped by errors about invalid Campaign values.
var ErrCampaign = errors.New("check: invalid campaign")

// Execute runs plan against reg, one goroutine per client, all released at
// once, and returns the recorded history. If ctx ends first it returns the
// history so far, with unfinished operations pending, and an error wrapping
// ErrStalled; the stuck goroutines are left behind, as nothing can stop them.
func Execute(ctx context.Context, reg model.Registry, plan [][]model.Op) (History, error) {
	rec := NewRecorder(reg)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for c, ops := range plan {
		cl := rec.Client(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, op := range ops {
				cl.Do(op)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	close(start)
	select {
	case <-done:
		return rec.History(), nil
	case <-ctx.Done():
		return rec.History(), fmt.Errorf("%w: %w", ErrStalled, ctx.Err())
	}
}

// Campaign is a randomized concurrent check of one registry: many short
// histories over a small key space, where operations collide, and a few long
// ones over a larger space, all generated from Seed. The seed replays the
// workload exactly; the interleaving is the scheduler's, so a violation is
// kept as a history file that replays the check exactly.
type Campaign struct {
	// Name labels reports and artifact files.
	Name string
	// NewRegistry returns a fresh, empty registry for each history.
	NewRegistry func() (model.Registry, error)
	Seed        uint64
	// Histories short histories of Ops operations per client over Keys IDs
	// (defaults 100, 30, 8; a negative Histories runs none).
	Histories, Ops, Keys int
	// Long histories (default 1; negative: none) of LongOps operations per
	// client over LongKeys IDs (defaults 2000 and 256).
	Long, LongOps, LongKeys int
	// Clients per history (default 8).
	Clients int
	// Timeout bounds the check of one history (default DefaultTimeout).
	Timeout time.Duration
	// StallTimeout bounds the run of one history (default one minute).
	StallTimeout time.Duration
	// OutDir receives the failing history (JSON lines) and its HTML
	// visualisation; "" keeps nothing.
	OutDir string
	// Log receives one line per history and the summary; nil is quiet.
	Log io.Writer

	_ struct{}
}

// Failure is the first history a campaign could not pass.
type Failure struct {
	Index int  // history number, 0-based, long ones after the short ones
	Long  bool // a long history
	// Seed and Stream seed the history's generator: rand.NewPCG(Seed, Stream).
	Seed, Stream uint64
	Verdict      Verdict
	// HistoryPath is the saved history, if Campaign.OutDir was set.
	HistoryPath string
}

// CampaignResult summarises a campaign.
type CampaignResult struct {
	Outcome   Outcome
	Histories int // histories run and checked
	Ops       int // operations recorded, all histories
	// RunTime is the time spent running clients, CheckTime checking.
	RunTime, CheckTime time.Duration
	// Failure is set when Outcome is not Ok.
	Failure *Failure
}

// HistoriesPerSecond is how many histories were checked per second of
// checking time.
func (r CampaignResult) HistoriesPerSecond() float64 {
	if r.CheckTime <= 0 {
		return 0
	}
	return float64(r.Histories) / r.CheckTime.Seconds()
}

// DefaultCampaign is the campaign's shape where a field is left zero: 100
// short histories of 8 clients x 30 operations over 8 IDs, one long one of
// 8 clients x 2,000 operations over 256 IDs, DefaultTimeout per check.
// The CLI's flags and the report's quick campaign start from it.
func DefaultCampaign() Campaign {
	return Campaign{Histories: 100, Ops: 30, Keys: 8, Long: 1, LongOps: 2000, LongKeys: 256, Clients: 8, Timeout: DefaultTimeout}
}

func (c Campaign) withDefaults() (Campaign, error) {
	d := DefaultCampaign()
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Histories, d.Histories)
	def(&c.Ops, d.Ops)
	def(&c.Keys, d.Keys)
	def(&c.Long, d.Long)
	def(&c.LongOps, d.LongOps)
	def(&c.LongKeys, d.LongKeys)
	def(&c.Clients, d.Clients)
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = time.Minute
	}
	if c.Name == "" {
		c.Name = "registry"
	}
	c.Histories, c.Long = max(c.Histories, 0), max(c.Long, 0)
	switch {
	case c.NewRegistry == nil:
		return c, fmt.Errorf("%w: NewRegistry is nil", ErrCampaign)
	case c.Timeout < 0 || c.StallTimeout < 0:
		return c, fmt.Errorf("%w: negative timeout", ErrCampaign)
	}
	for _, w := range []Workload{c.workload(false), c.workload(true)} {
		if _, err := w.withDefaults(); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c Campaign) workload(long bool) Workload {
	if long {
		return Workload{Clients: c.Clients, OpsPerClient: c.LongOps, Keys: c.LongKeys}
	}
	return Workload{Clients: c.Clients, OpsPerClient: c.Ops, Keys: c.Keys}
}

// Run runs the campaign. It stops at the first violation; an undecided
// history is remembered and the campaign goes on, ending Undecided unless a
// violation turns up. The error is for bad configuration, a registry that
// could not be built, a stall (ErrStalled) or artifacts that could not be
// written; a violation is an Outcome, not an error.
func (c Campaign) Run(ctx context.Context) (CampaignResult, error) {
	c, err := c.withDefaults()
	if err != nil {
		return CampaignResult{}, err
	}
	var res CampaignResult
	logf := func(format string, args ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, format+"\n", args...)
		}
	}
	total := c.Histories + c.Long
	for i := range total {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		long := i >= c.Histories
		stream := uint64(i)
		plan, err := c.workload(long).Plan(rand.New(rand.NewPCG(c.Seed, stream)))
		if err != nil {
			return res, err
		}
		reg, err := c.NewRegistry()
		if err != nil {
			return res, fmt.Errorf("check: building %s: %w", c.Name, err)
		}
		runCtx, cancel := context.WithTimeout(ctx, c.StallTimeout)
		t0 := time.Now()
		h, runErr := Execute(runCtx, reg, plan)
		cancel()
		if runErr == nil {
			closeRegistry(reg)
		}
		res.RunTime += time.Since(t0)
		fail := &Failure{Index: i, Long: long, Seed: c.Seed, Stream: stream}
		if runErr != nil {
			fail.HistoryPath, _ = c.save(i, h)
			res.Failure = fail
			res.Outcome = Undecided
			return res, fmt.Errorf("check: %s history %d (seed %d): %w", c.Name, i, c.Seed, runErr)
		}
		opts := Options{Timeout: c.Timeout}
		if c.OutDir != "" {
			opts.HTMLPath = c.artifact(i, "html")
		}
		v := Check(h, opts)
		res.CheckTime += v.Elapsed
		res.Histories++
		res.Ops += len(h)
		logf("%s history %d/%d (seed %d, stream %d, %d ops, long=%t): %s", c.Name, i+1, total, c.Seed, stream, len(h), long, v)
		if v.Outcome == Ok {
			continue
		}
		fail.Verdict = v
		if v.Outcome == Undecided && res.Failure != nil {
			continue // keep the first undecided history
		}
		path, err := c.save(i, h)
		fail.HistoryPath = path
		res.Failure, res.Outcome = fail, v.Outcome
		if err != nil {
			return res, err
		}
		if v.Outcome == Violation {
			return res, nil
		}
	}
	return res, nil
}

// artifact names history i's file in OutDir. The name is made file-safe:
// a Name such as "sharded/partitions=4" must not point into a
// subdirectory that save never creates.
func (c Campaign) artifact(i int, ext string) string {
	name := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '=' || r == '.' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, c.Name)
	return filepath.Join(c.OutDir, fmt.Sprintf("%s-seed%d-history%d.%s", name, c.Seed, i, ext))
}

// save writes h to OutDir, if set, and returns its path.
func (c Campaign) save(i int, h History) (string, error) {
	if c.OutDir == "" {
		return "", nil
	}
	if err := os.MkdirAll(c.OutDir, 0o755); err != nil {
		return "", fmt.Errorf("check: saving history: %w", err)
	}
	path := c.artifact(i, "jsonl")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("check: saving history: %w", err)
	}
	if err := WriteHistory(f, h); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("check: saving history: %w", err)
	}
	return path, nil
}

// closeRegistry closes reg if it holds resources (a peer that serialises
// through a goroutine does).
func closeRegistry(reg model.Registry) {
	if c, ok := reg.(io.Closer); ok {
		_ = c.Close()
	}
}
