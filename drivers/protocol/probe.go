package protocol

import (
	"fmt"
	"strconv"
	"strings"

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
		"listed %d times; with the death pending: %s; with the death complete at its answer: %s",
		p.Trials, p.StaleFinds, p.RefusedRegistrations, p.StaleLists, p.Pending.Outcome, p.Completed.Outcome)
}

// ProbeOwnerDeath asks, trials times, from one client: register a server
// under a fresh owner; owner_down that owner (the driver answers once the
// owner is dead); then at once find the server, list (when the profile has
// list_servers) and register it under another owner. It counts what a
// caller sees after the death and checks the history twice: as recorded
// (the death pending when answered without a count), and as if each death
// had completed when its answer came. It resets the driver first.
func ProbeOwnerDeath(d *Driver, trials int) (OwnerDeathProbe, error) {
	p := OwnerDeathProbe{Trials: trials}
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
		c.Do(model.Op{Kind: model.OpOwnerDown, Owner: second})
	}
	if err := d.Idle(); err != nil {
		return p, err
	}
	p.History = rec.History()
	p.Pending = check.Check(p.History, check.Options{})
	p.CompletedHistory = completeDeaths(p.History)
	p.Completed = check.Check(p.CompletedHistory, check.Options{})
	return p, nil
}

// completeDeaths returns h (one sequential client) with every pending
// owner_down returned just before the client's next call, removing the one
// entry its owner registered. Timestamps are doubled to make room.
func completeDeaths(h check.History) check.History {
	out := make(check.History, len(h))
	for i, o := range h {
		o.Call *= 2
		o.Return *= 2
		if o.Pending && o.Op.Kind == model.OpOwnerDown {
			o.Pending = false
			o.Result = model.Result{Count: 1}
			o.Return = o.Call + 1
			if i+1 < len(h) {
				o.Return = 2*h[i+1].Call - 1
			}
		}
		out[i] = o
	}
	return out
}
