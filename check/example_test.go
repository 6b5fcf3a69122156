package check_test

import (
	"fmt"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/model"
)

// Any model.Registry can be recorded and checked. Here two clients use the
// reference registry; the second looks a server up while the first is
// between registering and unregistering it.
func ExampleCheck() {
	rec := check.NewRecorder(model.NewReference())
	alice, bob := rec.Client(0), rec.Client(1)
	_ = alice.RegisterServer("s1", 7, model.NopHandler, "v1")
	e, _ := bob.FindServer("s1")
	_ = alice.UnregisterServer("s1")

	v := check.Check(rec.History(), check.Options{})
	fmt.Println(e.Owner, v.Outcome, v.Ops, "ops in", v.Partitions, "partition")
	// Output: 7 ok 3 ops in 1 partition
}
