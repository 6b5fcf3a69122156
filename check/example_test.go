package check_test

import (
	"context"
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

// myRegistry stands for a registry of your own: anything that implements
// model.Registry (and io.Closer, if it holds resources; the checks close
// every registry they build).
type myRegistry struct{ *model.Reference }

// Checking your own registry: a campaign of concurrent histories judged by
// porcupine, from one seed. In a test, add the rapid properties too:
//
//	rapid.Check(t, check.StateMachine(newRegistry, check.MachineOptions{}))
//	rapid.Check(t, check.ConcurrentMachine(newRegistry, check.MachineOptions{}))
func Example_checkYourOwnRegistry() {
	newRegistry := func() (model.Registry, error) {
		return myRegistry{model.NewReference()}, nil
	}
	res, err := check.Campaign{
		Name:        "mine",
		NewRegistry: newRegistry,
		Seed:        1,
		Histories:   20, // default 100
		Long:        -1, // default one long history
	}.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	if res.Failure != nil {
		fmt.Println(res.Failure.Verdict.Description)
		fmt.Println("history:", res.Failure.HistoryPath)
	}
	fmt.Println(res.Outcome, "after", res.Histories, "histories")
	// Output: ok after 20 histories
}
