package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shardlab/shardlab/internal/atomicfile"
	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/shard"
)

// ErrStalled is returned when clients did not finish before the context
// ended: the registry hung (a deadlock, or an operation that never returns).
var ErrStalled = errors.New("check: clients did not finish; operations still running are recorded as pending")

// ErrCampaign is wrapped by errors about invalid Campaign values.
var ErrCampaign = errors.New("check: invalid campaign")

// Execute runs plan against reg, one goroutine per client, all released at
// once, and returns the recorded history. Rendezvous markers in the plan
// hold the clients together (see Rendezvous); a plan whose clients hold
// different numbers of them is an error wrapping ErrWorkload. If ctx ends
// first it returns the history so far, with unfinished operations pending,
// and an error wrapping ErrStalled; the stuck goroutines are left behind, as
// nothing can stop them.
func Execute(ctx context.Context, reg model.Registry, plan [][]model.Op) (History, error) {
	active, err := rendezvousPlan(plan)
	if err != nil {
		return nil, err
	}
	rec := NewRecorder(reg)
	start := make(chan struct{})
	bar := newBarrier(len(plan))
	cores := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for c, ops := range plan {
		cl := rec.Client(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			round := -1
			for i, op := range ops {
				if op != Rendezvous {
					cl.Do(op)
					continue
				}
				round++
				// A client with an operation right after a rendezvous of
				// no more clients than cores (a collision) spins for it;
				// the others park.
				eager := i+1 < len(ops) && ops[i+1] != Rendezvous && active[round] <= cores
				if !bar.wait(eager) {
					return
				}
				if eager {
					jitter(&bar.gen)
				}
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
		bar.abort() // clients waiting at a rendezvous give up
		return rec.History(), fmt.Errorf("%w: %w", ErrStalled, ctx.Err())
	}
}

// rendezvousPlan checks that every client holds the same number of
// Rendezvous and returns, for each, how many clients have an operation
// right after it.
func rendezvousPlan(plan [][]model.Op) ([]int, error) {
	var active []int
	for c, ops := range plan {
		n := 0
		for i, op := range ops {
			if op != Rendezvous {
				continue
			}
			if c == 0 {
				active = append(active, 0)
			} else if n >= len(active) {
				return nil, fmt.Errorf("%w: client %d has more rendezvous than client 0 (%d)", ErrWorkload, c, len(active))
			}
			if i+1 < len(ops) && ops[i+1] != Rendezvous {
				active[n]++
			}
			n++
		}
		if n != len(active) {
			return nil, fmt.Errorf("%w: client %d has %d rendezvous, client 0 has %d", ErrWorkload, c, n, len(active))
		}
	}
	return active, nil
}

// barrier holds the clients of a plan at each rendezvous. Clients about
// to collide spin rather than park: a parked goroutine is woken onto the
// run queue of the core that woke it and waits there, behind the client
// that woke it, for microseconds, so two clients released from a channel
// almost never run their next operations at the same time. Spinners yield
// now and then, so that a client without a core gets one. The last client
// to arrive releases the spinners first, then the parked.
type barrier struct {
	n       int32
	count   atomic.Int32
	gen     atomic.Int64
	mu      sync.Mutex
	release chan struct{} // closed when the current generation is released
	stopped chan struct{} // closed by abort
	once    sync.Once
}

func newBarrier(n int) *barrier {
	return &barrier{n: int32(n), release: make(chan struct{}), stopped: make(chan struct{})}
}

// wait returns when every client has arrived, or false after abort.
func (b *barrier) wait(spin bool) bool {
	b.mu.Lock()
	ch, g := b.release, b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.release = make(chan struct{})
		b.gen.Add(1)
		b.mu.Unlock()
		close(ch)
		return true
	}
	b.mu.Unlock()
	if !spin {
		select {
		case <-ch:
			return true
		case <-b.stopped:
			return false
		}
	}
	for i := 1; b.gen.Load() == g; i++ {
		if i%(1<<12) == 0 {
			select {
			case <-b.stopped:
				return false
			default:
			}
			runtime.Gosched()
		}
	}
	return true
}

// abort releases every waiting client for good.
func (b *barrier) abort() { b.once.Do(func() { close(b.stopped) }) }

// jitter spins a random few hundred nanoseconds. The last client to reach
// a rendezvous leaves it first, by about the time a cache line takes to
// reach the others; the random wait makes the clients' relative start
// sweep across the narrow windows races hide in, over many rounds.
func jitter(x *atomic.Int64) {
	for range rand.IntN(jitterSpins) {
		_ = x.Load()
	}
}

// jitterSpins bounds jitter's wait, in loads of a shared counter.
const jitterSpins = 2048

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
	// Clients per history (default: GOMAXPROCS+2, at least 8: more
	// clients than cores).
	Clients int
	// Collisions: see Workload (default DefaultCollisions).
	Collisions float64
	// PartitionOf and Partitions: the registry's layout, if known; see
	// Workload. The CLI sets them for the sharded registry.
	PartitionOf func(id string) int
	Partitions  int
	// Kinds restricts generated operations to these kinds (nil: all), for
	// registries that offer only some, such as a driver's profile.
	Kinds []model.OpKind
	// NoConfig generates registrations without configurations, for
	// registries that store none.
	NoConfig bool
	// PlainIDs: see Workload (set for registries that cannot take every
	// ID shape, such as a driver behind a protocol).
	PlainIDs bool
	// Timeout bounds the check of one history (default DefaultTimeout).
	Timeout time.Duration
	// StallTimeout bounds the run of one history (default one minute).
	StallTimeout time.Duration
	// OutDir receives the failing history (JSON lines) and its HTML
	// visualisation (default: a new directory under os.TempDir(), made on
	// the first failure): a failure always leaves its history, since an
	// interleaving cannot be replayed from the seed.
	OutDir string
	// Log receives one line per history and the summary; nil is quiet.
	Log io.Writer
	// Shard, when set, runs only the histories package shard gives shard
	// K of N by index (round robin); each keeps the seed and stream it
	// has in the whole campaign, so the N shards together check exactly
	// the histories the whole campaign checks.
	Shard shard.Spec

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
// short histories of DefaultClients() clients x 30 operations over 8 IDs,
// one long one of DefaultClients() clients x 2,000 operations over 256 IDs,
// DefaultCollisions, DefaultTimeout per check. The CLI's flags and the
// report's quick campaign start from it.
func DefaultCampaign() Campaign {
	return Campaign{Histories: 100, Ops: 30, Keys: 8, Long: 1, LongOps: 2000, LongKeys: 256,
		Clients: DefaultClients(), Collisions: DefaultCollisions, Timeout: DefaultTimeout}
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
	w := Workload{Clients: c.Clients, OpsPerClient: c.Ops, Keys: c.Keys, Collisions: c.Collisions,
		PartitionOf: c.PartitionOf, Partitions: c.Partitions, Kinds: c.Kinds, NoConfig: c.NoConfig, PlainIDs: c.PlainIDs}
	if long {
		w.OpsPerClient, w.Keys = c.LongOps, c.LongKeys
	}
	return w
}

// DefaultClients is the default number of clients of a campaign history:
// more than the cores, so that the scheduler preempts clients in the middle
// of operations as well as running them in parallel.
func DefaultClients() int { return max(8, runtime.GOMAXPROCS(0)+2) }

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
		if !c.Shard.OwnsIndex(i) {
			continue
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
			// A registry that fails to close (a driver that broke the
			// protocol, exited or hung) gives no verdict.
			if err := closeRegistry(reg); err != nil {
				return res, fmt.Errorf("check: %s history %d (seed %d): %w", c.Name, i, c.Seed, err)
			}
		}
		res.RunTime += time.Since(t0)
		fail := &Failure{Index: i, Long: long, Seed: c.Seed, Stream: stream}
		if runErr != nil {
			fail.HistoryPath, _ = c.save(i, h)
			logf("%s history %d: %v; history: %s", c.Name, i, runErr, fail.HistoryPath)
			res.Failure = fail
			res.Outcome = Undecided
			return res, fmt.Errorf("check: %s history %d (seed %d): %w", c.Name, i, c.Seed, runErr)
		}
		opts := Options{Timeout: c.Timeout}
		if err := c.ensureOutDir(false); err == nil {
			opts.HTMLPath = c.artifact(i, "html")
		}
		v := CheckContext(ctx, h, opts)
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
		logf("%s history %d: %s; history: %s; visualisation: %s", c.Name, i, v.Outcome, path, v.HTMLPath)
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

// campaignDirs numbers the default artifact directories of this process.
var campaignDirs atomic.Int64

// ensureOutDir makes OutDir. When it is "", OutDir becomes a new name under
// os.TempDir(), made only when something is written there (Check makes the
// visualisation's directory itself), so passing campaigns leave nothing.
func (c *Campaign) ensureOutDir(create bool) error {
	if c.OutDir == "" {
		c.OutDir = filepath.Join(os.TempDir(), fmt.Sprintf("shardlab-campaign-%s-%d-%d",
			time.Now().Format("20060102-150405"), os.Getpid(), campaignDirs.Add(1)))
	}
	if !create {
		return nil
	}
	if err := os.MkdirAll(c.OutDir, 0o755); err != nil {
		return fmt.Errorf("check: saving history: %w", err)
	}
	return nil
}

// save writes h to OutDir and returns its path.
func (c *Campaign) save(i int, h History) (string, error) {
	if err := c.ensureOutDir(true); err != nil {
		return "", err
	}
	return saveHistory(c.artifact(i, "jsonl"), h)
}

// saveHistory writes h to path atomically and returns path.
func saveHistory(path string, h History) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("check: saving history: %w", err)
	}
	var buf bytes.Buffer
	if err := WriteHistory(&buf, h); err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, buf.Bytes()); err != nil {
		return "", fmt.Errorf("check: saving history: %w", err)
	}
	return path, nil
}

// closeRegistry closes reg if it holds resources (a peer that serialises
// through a goroutine does; a driver's registry reports there whether the
// driver kept to the protocol).
func closeRegistry(reg model.Registry) error {
	if c, ok := reg.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
