package check_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/model"
)

// unknownDoer answers every find through the reference registry but never
// learns the outcome of an owner death, as a driver whose registry cleans
// up on its own time.
type unknownDoer struct{ *model.Reference }

func (d unknownDoer) Do(op model.Op) (model.Result, error) {
	if op.Kind == model.OpOwnerDown {
		return model.Result{}, fmt.Errorf("%w: no answer", check.ErrUnknownOutcome)
	}
	return model.Invoke(d.Reference, op), nil
}

// TestRecordedUnknownOutcomeRoundTrips: a client that goes on after a
// call whose outcome is unknown keeps its number in memory, and is written
// as a new client from that call on, so the file passes the format's rule
// that a client is one sequential process and checks the same.
func TestRecordedUnknownOutcomeRoundTrips(t *testing.T) {
	rec := check.NewRecorder(unknownDoer{model.NewReference()})
	c := rec.Client(0)
	c.Do(model.Op{Kind: model.OpRegisterServer, Server: "s1", Owner: 1})
	c.Do(model.Op{Kind: model.OpOwnerDown, Owner: 1})
	c.Do(model.Op{Kind: model.OpFindServer, Server: "s1"})
	h := rec.History()
	if len(h) != 3 || !h[1].Pending || h[0].Client != 0 || h[1].Client != 0 || h[2].Client != 0 {
		t.Fatalf("history %v: want three calls of client 0, the second pending", h)
	}
	var buf bytes.Buffer
	if err := check.WriteHistory(&buf, h); err != nil {
		t.Fatal(err)
	}
	back, err := check.ReadHistory(&buf, "recorded")
	if err != nil {
		t.Fatalf("recorded history does not read back: %v", err)
	}
	if len(back) != 3 || back[0].Client != 0 || back[1].Client != 0 || back[2].Client == 0 {
		t.Fatalf("read back %v: want the call after the pending one on a new client", back)
	}
	if v := check.Check(back, check.Options{}); v.Outcome != check.Ok {
		t.Fatalf("%v", v)
	}
}
