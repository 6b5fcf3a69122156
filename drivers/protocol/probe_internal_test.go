package protocol

import (
	"testing"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/model"
)

// TestDeathReadings: a find that returns a dead owner's entry after its
// death was answered passes when the death is pending (the model lets it
// take effect later) and is a violation when the death counts as complete
// at its answer, which is the distinction the owner-death probe reports.
func TestDeathReadings(t *testing.T) {
	h := check.History{
		{ID: 0, Op: model.Op{Kind: model.OpRegisterServer, Server: "s", Owner: 1}, Call: 1, Return: 2},
		{ID: 1, Op: model.Op{Kind: model.OpOwnerDown, Owner: 1}, Call: 3, Pending: true},
		{ID: 2, Op: model.Op{Kind: model.OpFindServer, Server: "s"}, Result: model.Result{Owner: 1}, Call: 4, Return: 5},
	}
	if v := check.Check(h, check.Options{}); v.Outcome != check.Ok {
		t.Fatalf("death pending: %s, want ok", v)
	}
	done := completeDeaths(h)
	if done[1].Pending || done[1].Return >= done[2].Call || done[1].Result.Count != 1 {
		t.Fatalf("completed death %v, find %v", done[1], done[2])
	}
	if v := check.Check(done, check.Options{}); v.Outcome != check.Violation {
		t.Fatalf("death complete at its answer: %s, want a violation", v)
	}
}
