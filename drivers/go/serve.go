package godriver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/shardlab/shardlab/drivers/protocol"
	"github.com/shardlab/shardlab/model"
)

// Info is what the driver says about itself in the handshake.
type Info struct {
	Name    string
	Version string
	// Ops is the profile (nil: every operation).
	Ops []model.OpKind
	// NoConfig: the registry stores no configurations.
	NoConfig bool
}

// ErrRequest is wrapped by Serve's error for a request it cannot read.
var ErrRequest = errors.New("godriver: bad request")

// Serve speaks the driver protocol on in and out until in ends: it answers
// the hello with info, builds a registry with newRegistry at the start and
// on every reset, runs each client's operations in order on a goroutine of
// its own, and names owners on the wire by the strings shardlab sent.
// Owner death calls the registry's OwnerDown, which is synchronous, so it
// is answered with its count. A request it cannot read ends Serve with an
// error wrapping ErrRequest (a driver then exits non-zero).
func Serve(in io.Reader, out io.Writer, info Info, newRegistry func() (model.Registry, error)) error {
	if info.Ops == nil {
		info.Ops = model.OpKinds()
	}
	s := &server{info: info, newRegistry: newRegistry, out: make(chan []byte, 1024), clients: map[int]chan protocol.Request{}}
	if err := s.fresh(); err != nil {
		return err
	}
	wdone := make(chan error, 1)
	go func() { wdone <- s.write(out) }()
	err := s.read(in)
	s.inflight.Wait()
	for _, c := range s.clients {
		close(c)
	}
	s.workers.Wait()
	close(s.out)
	if werr := <-wdone; err == nil {
		err = werr
	}
	if c, ok := s.reg.(io.Closer); ok {
		_ = c.Close()
	}
	return err
}

type server struct {
	info        Info
	newRegistry func() (model.Registry, error)
	out         chan []byte
	clients     map[int]chan protocol.Request
	inflight    sync.WaitGroup // requests read but not answered
	workers     sync.WaitGroup

	mu     sync.Mutex
	reg    model.Registry
	owners map[string]model.Owner
	names  map[model.Owner]string
}

// fresh replaces the registry and forgets every owner.
func (s *server) fresh() error {
	reg, err := s.newRegistry()
	if err != nil {
		return fmt.Errorf("godriver: building the registry: %w", err)
	}
	s.mu.Lock()
	old := s.reg
	s.reg, s.owners, s.names = reg, map[string]model.Owner{}, map[model.Owner]string{}
	s.mu.Unlock()
	if c, ok := old.(io.Closer); ok {
		_ = c.Close()
	}
	return nil
}

// owner maps a wire name to a model.Owner, numbering names in order of
// first use; "" is the invalid owner.
func (s *server) owner(name string) model.Owner {
	if name == "" {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.owners[name]
	if !ok {
		o = model.Owner(len(s.owners) + 1)
		s.owners[name], s.names[o] = o, name
	}
	return o
}

func (s *server) ownerName(o model.Owner) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.names[o]; ok {
		return n
	}
	if o == 0 {
		return ""
	}
	return "unknown-owner-" + strconv.FormatUint(uint64(o), 10)
}

func (s *server) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var req protocol.Request
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrRequest, line, err)
		}
		switch req.Op {
		case protocol.OpHello:
			if req.Args == nil || req.Args.Protocol != protocol.Version {
				return fmt.Errorf("%w: line %d: hello for another protocol version (this driver speaks %d)", ErrRequest, line, protocol.Version)
			}
			ops := make([]string, len(s.info.Ops))
			for i, k := range s.info.Ops {
				ops[i] = k.String()
			}
			s.answer(req.ID, &protocol.Result{Code: "ok", Name: s.info.Name, Version: s.info.Version,
				Protocol: protocol.Version, Ops: ops, NoConfig: s.info.NoConfig})
			continue
		case protocol.OpReset:
			s.inflight.Wait()
			if err := s.fresh(); err != nil {
				return err
			}
			s.answer(req.ID, &protocol.Result{Code: "ok"})
			continue
		}
		if _, err := model.ParseOpKind(req.Op); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrRequest, line, err)
		}
		if req.Client < 0 {
			return fmt.Errorf("%w: line %d: negative client %d", ErrRequest, line, req.Client)
		}
		c, ok := s.clients[req.Client]
		if !ok {
			c = make(chan protocol.Request, 16)
			s.clients[req.Client] = c
			s.workers.Add(1)
			go s.client(c)
		}
		s.inflight.Add(1)
		c <- req
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: after line %d: %v", ErrRequest, line, err)
	}
	return nil
}

// client runs one client's operations in order.
func (s *server) client(reqs chan protocol.Request) {
	defer s.workers.Done()
	for req := range reqs {
		op, _ := protocol.OpFor(req, s.owner)
		s.mu.Lock()
		reg := s.reg
		s.mu.Unlock()
		res := model.Invoke(reg, op)
		s.answer(req.ID, protocol.WireResult(op.Kind, res, s.ownerName))
		s.inflight.Done()
	}
}

func (s *server) answer(id int64, r *protocol.Result) {
	b, err := json.Marshal(protocol.Answer{ID: &id, Result: r})
	if err != nil {
		panic(err) // a Result always marshals
	}
	s.out <- append(b, '\n')
}

// write sends answers, flushing when none is queued.
func (s *server) write(out io.Writer) error {
	w := bufio.NewWriterSize(out, 64<<10)
	var err error
	for b := range s.out {
		if err != nil {
			continue
		}
		if _, err = w.Write(b); err == nil && len(s.out) == 0 {
			err = w.Flush()
		}
	}
	if err == nil {
		err = w.Flush()
	}
	return err
}
