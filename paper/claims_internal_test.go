package paper

import (
	"strings"
	"testing"

	"github.com/shardlab/shardlab/store"
)

// "zero timeouts … target met" was printed with no sharded point behind
// it. A claim without evidence is "not measured", never met. Regression
// for issue 11 item 5.
func TestTimeoutsClaimNeedsASubjectPoint(t *testing.T) {
	in, err := store.LoadReport("testdata/results", true)
	if err != nil {
		t.Fatal(err)
	}
	var others []store.Point
	for _, p := range in.Scenarios.Points {
		if p.Registry != "sharded" {
			others = append(others, p)
		}
	}
	if len(others) == len(in.Scenarios.Points) || len(others) == 0 {
		t.Fatalf("fixture: %d of %d points are not sharded; the test needs both kinds", len(others), len(in.Scenarios.Points))
	}
	in.Scenarios.Points = others
	for _, row := range audit(&input{Inputs: in, Subject: "sharded"}) {
		if row.ID != "timeouts" {
			continue
		}
		if row.Met || strings.Contains(row.Verdict, "target met") {
			t.Fatalf("timeouts with no sharded point: met=%v, verdict %q", row.Met, row.Verdict)
		}
		return
	}
	t.Fatal("no timeouts row")
}
