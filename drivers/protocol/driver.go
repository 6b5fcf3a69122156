package protocol

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shardlab/shardlab/model"
)

// Errors a Driver reports. Each is wrapped with the driver's name and, where
// there is one, the offending line.
var (
	// ErrProtocol: the driver wrote something the protocol does not allow
	// (not JSON, an unknown or repeated id, a result that does not fit).
	ErrProtocol = errors.New("driver broke the protocol")
	// ErrExited: the driver exited (or closed its stdout) while shardlab
	// still needed it.
	ErrExited = errors.New("driver exited")
	// ErrHung: a request went unanswered for Config.HangTimeout.
	ErrHung = errors.New("driver hung")
	// ErrStart: the driver could not be started or failed its handshake.
	ErrStart = errors.New("driver did not start")
	// ErrUnsupported: an operation outside the driver's profile.
	ErrUnsupported = errors.New("operation not in the driver's profile")
	// ErrUnknownOutcome: the operation's outcome is not known (its answer
	// did not come within Config.AnswerTimeout, the driver failed, or an
	// owner_down came back without a count). Recorders keep such an
	// operation pending.
	ErrUnknownOutcome = errors.New("outcome unknown")
)

// Defaults for Config.
const (
	DefaultAnswerTimeout = 5 * time.Second
	DefaultHangTimeout   = 30 * time.Second
	DefaultStartTimeout  = 60 * time.Second
	// maxLine bounds one answer line: a list of 100,000 IDs of 255 bytes
	// is about 26 MB.
	maxLine = 64 << 20
	// quoteLimit bounds how much of an offending line an error quotes.
	quoteLimit = 200
)

// Config starts a driver.
type Config struct {
	// Command is the driver's argv: Command[0] is looked up in PATH.
	Command []string
	// Dir is the driver's working directory ("" is the caller's).
	Dir string
	// AnswerTimeout: an operation unanswered for this long is recorded as
	// pending, and its client is not used again (default
	// DefaultAnswerTimeout). Its answer may still come.
	AnswerTimeout time.Duration
	// HangTimeout: a request unanswered for this long is a hang, an error
	// (default DefaultHangTimeout).
	HangTimeout time.Duration
	// StartTimeout bounds the start and the hello (default
	// DefaultStartTimeout: a BEAM starts in about a second, more on a busy
	// machine).
	StartTimeout time.Duration
	// Stderr receives the driver's stderr as it comes (nil: only the last
	// lines are kept, for error messages).
	Stderr io.Writer

	_ struct{}
}

// Driver is a running driver process. It multiplexes clients over the
// child's stdin and stdout: requests of one client are sent one at a time,
// different clients' requests are in flight together. It is safe for
// concurrent use. Close reaps the child; so does cancelling the context
// Start was given.
type Driver struct {
	cfg   Config
	label string // for errors: the command line, then the hello's name
	hello Hello

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    chan []byte
	stderr *tailBuffer

	mu     sync.Mutex
	nextID int64
	// calls are the requests not answered yet, those past the answer
	// timeout included: their answers may still come, once.
	calls      map[int64]*call
	free       []int
	clients    int
	lastAnswer time.Time
	err        error // sticky: the first failure
	lines      int   // answer lines read

	failed    chan struct{} // closed on the first failure
	readDone  chan struct{}
	waitDone  chan struct{}
	waitErr   error
	closeOnce sync.Once
	stopCtx   func() bool
}

type call struct {
	line   []byte
	kind   string
	sent   time.Time
	answer chan *Result
}

// Start starts the driver and does the handshake. The driver lives until
// Close or until ctx ends, whichever is first; either way the child is
// killed if it does not exit and is always waited for.
func Start(ctx context.Context, cfg Config) (*Driver, error) {
	if len(cfg.Command) == 0 || cfg.Command[0] == "" {
		return nil, fmt.Errorf("%w: empty driver command", ErrStart)
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = DefaultAnswerTimeout
	}
	if cfg.HangTimeout <= 0 {
		cfg.HangTimeout = DefaultHangTimeout
	}
	if cfg.HangTimeout < cfg.AnswerTimeout {
		cfg.HangTimeout = cfg.AnswerTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	d := &Driver{
		cfg: cfg, label: strings.Join(cfg.Command, " "),
		calls: map[int64]*call{},
		out:   make(chan []byte, 1024), stderr: newTailBuffer(20, cfg.Stderr),
		failed: make(chan struct{}), readDone: make(chan struct{}), waitDone: make(chan struct{}),
		lastAnswer: time.Now(),
	}
	cmd := exec.Command(cfg.Command[0], cfg.Command[1:]...)
	cmd.Dir = cfg.Dir
	// Its own process group: the driver (and whatever it starts, such as
	// a BEAM under a shell script) is killed as one, and a terminal's
	// Ctrl-C reaches shardlab, which then reaps it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = d.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStart, d.label, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStart, d.label, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStart, d.label, err)
	}
	d.cmd, d.stdin = cmd, stdin
	go func() { d.waitErr = cmd.Wait(); close(d.waitDone) }()
	go d.write()
	go d.read(stdout)
	go d.watch()
	d.stopCtx = context.AfterFunc(ctx, func() {
		d.fail(fmt.Errorf("driver %s: %w", d.Name(), context.Cause(ctx)))
		d.Close()
	})
	if err := d.handshake(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Driver) handshake() error {
	_, c, err := d.send(0, OpHello, &Args{Protocol: Version})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	var r *Result
	select {
	case r = <-c.answer:
	case <-d.failed:
		return fmt.Errorf("%w: %w", ErrStart, d.Err())
	case <-time.After(d.cfg.StartTimeout):
		d.fail(fmt.Errorf("%w: driver %s: no answer to the hello within %v", ErrStart, d.label, d.cfg.StartTimeout))
		return d.Err()
	}
	bad := func(format string, args ...any) error {
		err := fmt.Errorf("%w: driver %s: hello answer: %s", ErrStart, d.label, fmt.Sprintf(format, args...))
		d.fail(err)
		return err
	}
	switch {
	case r.Code != "ok":
		return bad("code %q, want ok", r.Code)
	case r.Protocol != Version:
		return bad("protocol version %d, shardlab speaks %d", r.Protocol, Version)
	case r.Name == "":
		return bad("no name")
	case len(r.Ops) == 0:
		return bad("no operations in the profile")
	}
	h := Hello{Name: r.Name, Version: r.Version, NoConfig: r.NoConfig}
	for _, o := range r.Ops {
		k, err := model.ParseOpKind(o)
		if err != nil {
			return bad("%v", err)
		}
		if !slices.Contains(h.Ops, k) {
			h.Ops = append(h.Ops, k)
		}
	}
	d.hello = h
	d.mu.Lock()
	d.label = fmt.Sprintf("%q (%s)", h.Name, d.label)
	d.mu.Unlock()
	return nil
}

// Hello is what the driver said in the handshake.
func (d *Driver) Hello() Hello { return d.hello }

// Name labels the driver in errors: its hello name and command line.
func (d *Driver) Name() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.label
}

// Err is the driver's first failure, or nil.
func (d *Driver) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// fail records err as the driver's failure (the first one wins), fails
// every call in flight and kills the child.
func (d *Driver) fail(err error) {
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		return
	}
	d.err = err
	close(d.failed)
	d.mu.Unlock()
	d.kill()
}

func (d *Driver) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Close ends the driver: it closes the driver's stdin (a driver exits when
// its stdin closes), waits briefly, kills the driver's process group if it
// is still there, and waits for it. It returns the driver's first failure,
// if any. Close is idempotent.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		if d.stopCtx != nil {
			d.stopCtx()
		}
		d.mu.Lock()
		if d.err == nil {
			// From here on, the child exiting is expected; the writer
			// closes the child's stdin.
			d.err = errClosed
			close(d.failed)
		}
		d.mu.Unlock()
		select {
		case <-d.waitDone:
		case <-time.After(2 * time.Second):
			d.kill()
			<-d.waitDone
		}
		// Whatever the driver left behind in its group goes too.
		d.kill()
	})
	if err := d.Err(); err != errClosed {
		return err
	}
	return nil
}

var errClosed = errors.New("driver closed")

// write sends queued lines, flushing when the queue is empty, so that
// lines sent together share a write. It closes the child's stdin when the
// driver fails or closes.
func (d *Driver) write() {
	defer d.stdin.Close()
	w := bufio.NewWriterSize(d.stdin, 64<<10)
	for {
		select {
		case <-d.failed:
			return
		case line := <-d.out:
			_, err := w.Write(line)
			if err == nil && len(d.out) == 0 {
				err = w.Flush()
			}
			if err != nil {
				d.fail(fmt.Errorf("%w: driver %s: writing its stdin: %w", ErrExited, d.Name(), err))
				return
			}
		}
	}
}

func (d *Driver) read(stdout io.Reader) {
	defer close(d.readDone)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		d.mu.Lock()
		d.lines++
		n := d.lines
		d.mu.Unlock()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := d.answer(line); err != nil {
			d.fail(fmt.Errorf("%w: driver %s: line %d of its output, %s: %w", ErrProtocol, d.Name(), n, quote(line), err))
			return
		}
	}
	err := sc.Err()
	select {
	case <-d.waitDone:
	case <-time.After(time.Second):
	}
	d.mu.Lock()
	outstanding := d.oldestLocked()
	d.mu.Unlock()
	msg := fmt.Sprintf("driver %s: stdout closed", d.Name())
	if err != nil {
		msg = fmt.Sprintf("driver %s: reading its output: %v", d.Name(), err)
	}
	select {
	case <-d.waitDone:
		if d.waitErr != nil {
			msg += fmt.Sprintf(" (%v)", d.waitErr)
		} else {
			msg += " (exit status 0)"
		}
	default:
	}
	if outstanding != nil {
		msg += fmt.Sprintf("; unanswered: %s", quote(outstanding.line))
	}
	if t := d.stderr.String(); t != "" {
		msg += "; its stderr ended with:\n" + t
	}
	d.fail(fmt.Errorf("%w: %s", ErrExited, msg))
}

// answer routes one answer line to its call.
func (d *Driver) answer(line []byte) error {
	var a Answer
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return fmt.Errorf("not an answer: %v", err)
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	if a.ID == nil {
		return errors.New("no id")
	}
	if a.Result == nil {
		return errors.New("no result")
	}
	id := *a.ID
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastAnswer = time.Now()
	if c, ok := d.calls[id]; ok {
		// Buffered; after the answer timeout nobody reads it and the
		// operation stays pending.
		delete(d.calls, id)
		c.answer <- a.Result
		return nil
	}
	if id >= 0 && id < d.nextID {
		return fmt.Errorf("a second answer to request %d", id)
	}
	return fmt.Errorf("an answer to request %d, which shardlab never sent", id)
}

// watch turns a request unanswered for HangTimeout into ErrHung.
func (d *Driver) watch() {
	tick := time.NewTicker(min(d.cfg.HangTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-d.failed:
			return
		case <-tick.C:
		}
		d.mu.Lock()
		c := d.oldestLocked()
		d.mu.Unlock()
		if c != nil && time.Since(c.sent) > d.cfg.HangTimeout {
			d.fail(fmt.Errorf("%w: driver %s: no answer for %v to %s", ErrHung, d.Name(), d.cfg.HangTimeout, quote(c.line)))
			return
		}
	}
}

// oldestLocked is the call waiting longest, timed-out ones included.
func (d *Driver) oldestLocked() *call {
	var old *call
	for _, c := range d.calls {
		if old == nil || c.sent.Before(old.sent) {
			old = c
		}
	}
	return old
}

// send queues one request and returns its call.
func (d *Driver) send(client int, op string, args *Args) (int64, *call, error) {
	d.mu.Lock()
	if d.err != nil {
		err := d.err
		d.mu.Unlock()
		return 0, nil, err
	}
	id := d.nextID
	d.nextID++
	line, err := marshalRequest(Request{ID: id, Client: client, Op: op, Args: args})
	if err != nil {
		d.mu.Unlock()
		return 0, nil, fmt.Errorf("driver %s: encoding %s: %w", d.label, op, err)
	}
	c := &call{line: line, kind: op, sent: time.Now(), answer: make(chan *Result, 1)}
	d.calls[id] = c
	d.mu.Unlock()
	// Not under d.mu: a full queue waits for the writer, which may wait
	// for the child, which may wait for the reader, which takes d.mu.
	select {
	case d.out <- line:
	case <-d.failed:
		return 0, nil, d.Err()
	}
	return id, c, nil
}

// Call sends op for client and waits for its answer. known is false when
// the outcome is not known: the answer did not come within AnswerTimeout
// (the client must not be used again), or an owner_down came back without
// a count. err is the driver's failure (ErrProtocol, ErrExited, ErrHung),
// after which no result is known.
func (d *Driver) Call(client int, op model.Op) (res model.Result, known bool, timedOut bool, err error) {
	name, args := RequestFor(op)
	id, c, err := d.send(client, name, args)
	if err != nil {
		return res, false, false, err
	}
	timer := time.NewTimer(d.cfg.AnswerTimeout)
	defer timer.Stop()
	var r *Result
	select {
	case r = <-c.answer:
	case <-d.failed:
		return res, false, false, d.Err()
	case <-timer.C:
		d.mu.Lock()
		_, still := d.calls[id]
		d.mu.Unlock()
		if still {
			return res, false, true, nil
		}
		r = <-c.answer // answered as the timer fired
	}
	res, known, err = ResultOf(op.Kind, r)
	if err != nil {
		line, _ := json.Marshal(Answer{ID: &id, Result: r})
		err = fmt.Errorf("%w: driver %s: answer %s to %s: %w", ErrProtocol, d.Name(), quote(line), quote(c.line), err)
		d.fail(err)
		return res, false, false, err
	}
	return res, known, false, nil
}

// Idle waits until no request is in flight (late answers included), up
// to HangTimeout, and reports the driver's failure if any.
func (d *Driver) Idle() error {
	deadline := time.Now().Add(d.cfg.HangTimeout)
	for {
		d.mu.Lock()
		n, err := len(d.calls), d.err
		d.mu.Unlock()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			d.mu.Lock()
			c := d.oldestLocked()
			d.mu.Unlock()
			if c != nil {
				d.fail(fmt.Errorf("%w: driver %s: no answer for %v to %s", ErrHung, d.Name(), d.cfg.HangTimeout, quote(c.line)))
			}
			return d.Err()
		}
		select {
		case <-d.failed:
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Reset waits until the driver is idle and asks it to drop every entry and
// owner, so that what follows starts from an empty registry.
func (d *Driver) Reset() error {
	if err := d.Idle(); err != nil {
		return err
	}
	_, c, err := d.send(0, OpReset, nil)
	if err != nil {
		return err
	}
	select {
	case r := <-c.answer:
		if r.Code != "ok" {
			err := fmt.Errorf("%w: driver %s: reset answered %q, want ok", ErrProtocol, d.Name(), r.Code)
			d.fail(err)
			return err
		}
	case <-d.failed:
		return d.Err()
	case <-time.After(d.cfg.HangTimeout):
		d.fail(fmt.Errorf("%w: driver %s: no answer for %v to %s", ErrHung, d.Name(), d.cfg.HangTimeout, quote(c.line)))
		return d.Err()
	}
	return nil
}

// lease returns a client id no other goroutine is using.
func (d *Driver) lease() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.free); n > 0 {
		c := d.free[n-1]
		d.free = d.free[:n-1]
		return c
	}
	d.clients++
	return d.clients - 1
}

func (d *Driver) release(c int) {
	d.mu.Lock()
	d.free = append(d.free, c)
	d.mu.Unlock()
}

func quote(line []byte) string {
	if len(line) > quoteLimit {
		return fmt.Sprintf("%q... (%d bytes)", line[:quoteLimit], len(line))
	}
	return fmt.Sprintf("%q", bytes.TrimRight(line, "\n"))
}

// tailBuffer keeps the last lines written to it, and passes everything on.
type tailBuffer struct {
	mu    sync.Mutex
	keep  int
	lines []string
	part  []byte
	next  io.Writer
}

func newTailBuffer(keep int, next io.Writer) *tailBuffer {
	return &tailBuffer{keep: keep, next: next}
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.next != nil {
		_, _ = t.next.Write(p)
	}
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if len(t.lines) > t.keep {
			t.lines = t.lines[len(t.lines)-t.keep:]
		}
	}
	if len(t.part) > 4096 {
		t.part = t.part[len(t.part)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := slices.Clone(t.lines)
	if len(t.part) > 0 {
		lines = append(lines, string(t.part))
	}
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}
