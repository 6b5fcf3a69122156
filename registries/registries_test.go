package registries

import (
	"errors"
	"testing"

	"github.com/shardlab/shardlab/experiments/spec"
	"github.com/shardlab/shardlab/model"
)

// TestCatalogue: every entry builds a working registry under its own name,
// and names are unique.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Entries() {
		if seen[e.Name] || e.Description == "" || e.New == nil {
			t.Errorf("entry %q: repeated, undescribed or without a constructor", e.Name)
		}
		seen[e.Name] = true
		in, err := New(e.Name, spec.RegistrySpec{Partitions: 4})
		if err != nil {
			t.Fatalf("New(%s): %v", e.Name, err)
		}
		if in.Name != e.Name || in.Registry == nil {
			t.Errorf("New(%s) = %+v", e.Name, in)
		}
		if e.Partitioned != (in.Partitions == 4) {
			t.Errorf("%s: Partitioned %v but built %d partitions", e.Name, e.Partitioned, in.Partitions)
		}
		if e.Name != Null {
			if err := in.Registry.RegisterServer("s1", 1, nop, ""); err != nil {
				t.Errorf("%s: register: %v", e.Name, err)
			}
			if _, err := in.Registry.FindServer("s1"); err != nil {
				t.Errorf("%s: find after register: %v", e.Name, err)
			}
		}
		in.Close()
	}
	if d := Descriptions(); d[Channel] == "" || len(d) != len(Names()) {
		t.Errorf("Descriptions() = %v", d)
	}
}

func TestUnknownAndBadOptions(t *testing.T) {
	if _, err := New("etcd", spec.RegistrySpec{}); !errors.Is(err, ErrUnknown) {
		t.Errorf("New(etcd): %v, want ErrUnknown", err)
	}
	if _, err := Parse("sharded, mutex ,etcd"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Parse with etcd: %v, want ErrUnknown", err)
	}
	if got, err := Parse("sharded, mutex"); err != nil || len(got) != 2 || got[1] != Mutex {
		t.Errorf("Parse(sharded, mutex) = %v, %v", got, err)
	}
	if _, err := Factory(Sharded, spec.RegistrySpec{Partitions: 1 << 20}); !errors.Is(err, ErrOptions) {
		t.Errorf("Factory with 2^20 partitions: %v, want ErrOptions", err)
	}
	if _, err := New(Sharded, spec.RegistrySpec{Partitioner: "nope"}); !errors.Is(err, ErrOptions) {
		t.Errorf("New with partitioner nope: %v, want ErrOptions", err)
	}
	f, err := Factory(Mutex, spec.RegistrySpec{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f()
	b, _ := f()
	if err := a.RegisterServer("x", 1, nop, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindServer("x"); err == nil {
		t.Error("Factory returned the same registry twice")
	}
}

var nop = model.HandlerFunc(func(model.Message) {})
