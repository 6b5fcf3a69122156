package protocol

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/model"
)

// OwnerDeathProbe is what ProbeOwnerDeath saw: how a registry that cleans
// up after an owner's death on its own time looks right after the death.
type OwnerDeathProbe struct {
	Trials int
	// StaleFinds: a find, right after owner_down was answered (the owner
	// dead), still returned the dead owner's entry.
	StaleFinds int
	// Finders is how many other clients looked the server up without a
	// pause while it was registered, killed and registered again;
	// ConcurrentFinds counts their lookups called after the probe client's
	// own lookup that followed the death's answer, and ConcurrentStale
	// those that still returned the dead owner's entry.
	Finders, ConcurrentFinds, ConcurrentStale int
	// RefusedRegistrations: registering the ID under a new owner right
	// after the death was refused with already_registered.
	RefusedRegistrations int
	// StaleLists: a list right after the death still named the ID.
	StaleLists int
	// Pending is the verdict on the history with each death pending, as
	// shardlab records a death answered without a count; Completed the
	// verdict if each death counted as complete when its answer came.
	Pending, Completed check.Verdict
	// History is the recorded history (deaths pending); CompletedHistory
	// the same with each death completed at its answer.
	History, CompletedHistory check.History
}

// String summarises the probe in one line.
func (p OwnerDeathProbe) String() string {
	return fmt.Sprintf("%d deaths: dead owner's entry found after the death %d times, new registration refused %d times, "+
		"listed %d times; %d concurrent finders: %d of their %d lookups after the death found the dead owner's entry; "+
		"with the death pending: %s; with the death complete at its answer: %s",
		p.Trials, p.StaleFinds, p.RefusedRegistrations, p.StaleLists, p.Finders, p.ConcurrentStale, p.ConcurrentFinds,
		p.Pending.Outcome, p.Completed.Outcome)
}

// ProbeOwnerDeath asks, trials times, from one client: register a server
// under a fresh owner; owner_down that owner (the driver answers once the
// owner is dead); then at once find the server, list (when the profile has
// list_servers) and register it under another owner. It counts what a
// caller sees after the death and checks the history twice: as recorded
// (the death pending when answered without a count), and as if each death
// had completed when its answer came. It resets the driver first.
//
// finders other clients look the server up in a loop meanwhile, so that
// lookups arrive at the driver right as the death completes.
func ProbeOwnerDeath(d *Driver, trials, finders int) (OwnerDeathProbe, error) {
	p := OwnerDeathProbe{Trials: trials, Finders: finders}
	if err := d.Reset(); err != nil {
		return p, err
	}
	rec := check.NewRecorder(d.Registry())
	c := rec.Client(0)
	list := d.hello.Supports(model.OpListServers)
	for i := range trials {
		id := "probe." + strconv.Itoa(i)
		first, second := model.Owner(2*i+1), model.Owner(2*i+2)
		if r := c.Do(model.Op{Kind: model.OpRegisterServer, Server: id, Owner: first}); r.Code != model.CodeOK {
			return p, fmt.Errorf("driver %s: probe registration of %s: %s", d.Name(), id, r)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for f := range finders {
			fc := rec.Client(1 + f)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					fc.Do(model.Op{Kind: model.OpFindServer, Server: id})
				}
			}()
		}
		c.Do(model.Op{Kind: model.OpOwnerDown, Owner: first})
		if r := c.Do(model.Op{Kind: model.OpFindServer, Server: id}); r.Code == model.CodeOK && r.Owner == first {
			p.StaleFinds++
		}
		if list {
			r := c.Do(model.Op{Kind: model.OpListServers})
			for _, x := range strings.Split(r.IDs, "\n") {
				if x == id {
					p.StaleLists++
				}
			}
		}
		if r := c.Do(model.Op{Kind: model.OpRegisterServer, Server: id, Owner: second}); r.Code == model.CodeAlreadyRegistered {
			p.RefusedRegistrations++
		}
		close(stop)
		wg.Wait()
		c.Do(model.Op{Kind: model.OpOwnerDown, Owner: second})
		if err := d.Err(); err != nil {
			return p, err
		}
	}
	if err := d.Idle(); err != nil {
		return p, err
	}
	p.History = rec.History()
	p.ConcurrentFinds, p.ConcurrentStale = concurrentAfterDeath(p.History)
	p.Pending = check.Check(p.History, check.Options{})
	p.CompletedHistory = completeDeaths(p.History)
	p.Completed = check.Check(p.CompletedHistory, check.Options{})
	return p, nil
}

// nextCall returns the call of the operation after h[i] made by the same
// client, or 0.
func nextCall(h check.History, i int) int64 {
	for _, o := range h[i+1:] {
		if o.Client == h[i].Client {
			return o.Call
		}
	}
	return 0
}

// concurrentAfterDeath counts the finders' lookups (clients other than 0)
// of a probed server called after the probe client's lookup that followed
// a death's answer, and those that returned the dead owner.
func concurrentAfterDeath(h check.History) (finds, stale int) {
	type death struct {
		server string
		owner  model.Owner
		after  int64 // the probe client's next call
	}
	var deaths []death
	last := map[model.Owner]string{} // the probe's owner -> its server
	for i, o := range h {
		if o.Client != 0 {
			continue
		}
		switch o.Op.Kind {
		case model.OpRegisterServer:
			last[o.Op.Owner] = o.Op.Server
		case model.OpOwnerDown:
			if n := nextCall(h, i); n != 0 && o.Op.Owner%2 == 1 {
				deaths = append(deaths, death{last[o.Op.Owner], o.Op.Owner, n})
			}
		}
	}
	for _, dt := range deaths {
		for _, o := range h {
			if o.Client == 0 || o.Pending || o.Op.Kind != model.OpFindServer || o.Op.Server != dt.server || o.Call <= dt.after {
				continue
			}
			finds++
			if o.Result.Code == model.CodeOK && o.Result.Owner == dt.owner {
				stale++
			}
		}
	}
	return finds, stale
}

// completeDeaths returns h with every pending owner_down returned just
// before its client's next call, removing the one entry its owner
// registered. Timestamps are doubled to make room.
func completeDeaths(h check.History) check.History {
	out := make(check.History, len(h))
	for i, o := range h {
		o.Call *= 2
		o.Return *= 2
		if o.Pending && o.Op.Kind == model.OpOwnerDown {
			o.Pending = false
			o.Result = model.Result{Count: 1}
			o.Return = o.Call + 1
			if n := nextCall(h, i); n != 0 {
				o.Return = 2*n - 1
			}
		}
		out[i] = o
	}
	return out
}
