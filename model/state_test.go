package model_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/shardlab/shardlab/model"
	"github.com/shardlab/shardlab/model/modeltest"
)

func TestReferenceConformance(t *testing.T) {
	modeltest.Run(t, func(t *testing.T) model.Registry { return model.NewReference() })
}

// testSeed is the seed of this file's random tests: SHARDLAB_SEED when set
// (see modeltest), else 1.
func testSeed(t *testing.T) uint64 {
	s := os.Getenv(modeltest.SeedEnv)
	if s == "" {
		return 1
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: want an unsigned integer", modeltest.SeedEnv, s)
	}
	return v
}

// randomOp draws an op over a tiny key space so that states collide.
func randomOp(rng *rand.Rand) model.Op {
	kinds := model.OpKinds()
	ids := []string{"a", "b", "c", ""}
	return model.Op{
		Kind:      kinds[rng.IntN(len(kinds))],
		Server:    ids[rng.IntN(len(ids))],
		Transport: ids[rng.IntN(len(ids))],
		Owner:     model.Owner(rng.IntN(3)),
		Config:    model.Config(strconv.Itoa(rng.IntN(2))),
	}
}

// TestStepIsPure: Step leaves its receiver unchanged, returns what Apply
// does, and the invariants hold after every step.
func TestStepIsPure(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	s := model.NewState()
	for i := range 5000 {
		op := randomOp(rng)
		beforeStr, beforeHash := s.String(), s.Hash()
		snapshot := s.Clone()
		next, res := s.Step(op)
		if s.String() != beforeStr || s.Hash() != beforeHash || !s.Equal(snapshot) {
			t.Fatalf("seed %d step %d: Step(%v) mutated its receiver: %s -> %s", seed, i, op, beforeStr, s.String())
		}
		applied := snapshot.Clone()
		if got := applied.Apply(op); got != res || !applied.Equal(next) {
			t.Fatalf("seed %d step %d: Apply(%v) = %v %s, Step gave %v %s", seed, i, op, got, applied, res, next)
		}
		if err := next.CheckInvariants(); err != nil {
			t.Fatalf("seed %d step %d: after %v: %v (state %s)", seed, i, op, err, next)
		}
		s = next
	}
}

// TestZeroStateSteps: the zero State is an empty registry, for Step and Apply.
func TestZeroStateSteps(t *testing.T) {
	var zero model.State
	next, res := zero.Step(model.Op{Kind: model.OpRegisterServer, Server: "s", Owner: 1})
	if res.Code != model.CodeOK {
		t.Fatalf("register on zero State: %v", res)
	}
	if _, res := next.Step(model.Op{Kind: model.OpFindServer, Server: "s"}); res.Owner != 1 {
		t.Fatalf("find after register: %v", res)
	}
	if _, res := zero.Step(model.Op{Kind: model.OpListServers}); res.IDs != "" {
		t.Fatalf("zero State lists %q", res.IDs)
	}
	var applied model.State
	if res := applied.Apply(model.Op{Kind: model.OpRegisterTransport, Transport: "t", Owner: 1}); res.Code != model.CodeOK {
		t.Fatalf("Apply on zero State: %v", res)
	}
}

// TestHashEqualConsistent: equal states hash equally, whatever the order of
// the ops that built them; states that differ are not Equal.
func TestHashEqualConsistent(t *testing.T) {
	build := func(ops ...model.Op) model.State {
		s := model.NewState()
		for _, op := range ops {
			if res := s.Apply(op); res.Code != model.CodeOK {
				t.Fatalf("%v = %v", op, res)
			}
		}
		return s
	}
	rs := func(id string, o model.Owner) model.Op {
		return model.Op{Kind: model.OpRegisterServer, Server: id, Owner: o}
	}
	rt := func(id string, o model.Owner, bindTo string) model.Op {
		return model.Op{Kind: model.OpRegisterTransport, Transport: id, Owner: o, Server: bindTo}
	}
	a := build(rs("s1", 1), rs("s2", 2), rt("t1", 1, "s1"), rt("t2", 1, ""))
	b := build(rt("t2", 1, ""), rs("s2", 2), rs("s1", 1), rt("t1", 1, ""), model.Op{Kind: model.OpBind, Transport: "t1", Server: "s1"})
	if !a.Equal(b) || a.Hash() != b.Hash() {
		t.Fatalf("same contents built in different orders: Equal %v, hashes %x %x", a.Equal(b), a.Hash(), b.Hash())
	}
	c := build(rs("s1", 1), rs("s2", 2), rt("t1", 1, "s2"), rt("t2", 1, ""))
	if a.Equal(c) || a.Hash() == c.Hash() {
		t.Fatalf("different binding: Equal %v, hashes %x %x", a.Equal(c), a.Hash(), c.Hash())
	}
	d := build(rs("s1", 1), rs("s2", 3), rt("t1", 1, "s1"), rt("t2", 1, ""))
	if a.Equal(d) || a.Hash() == d.Hash() {
		t.Fatalf("different owner: Equal %v, hashes %x %x", a.Equal(d), a.Hash(), d.Hash())
	}
	// Random walks: whenever two visited states are Equal, they hash equally.
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	byHash := map[uint64]model.State{}
	s := model.NewState()
	equalPairs := 0
	for i := range 3000 {
		s, _ = s.Step(randomOp(rng))
		if prev, ok := byHash[s.Hash()]; ok {
			if !prev.Equal(s) {
				t.Fatalf("seed %d step %d: hash collision between %s and %s", seed, i, prev, s)
			}
			equalPairs++
		}
		byHash[s.Hash()] = s.Clone()
		if !s.Equal(s.Clone()) || s.Hash() != s.Clone().Hash() {
			t.Fatalf("seed %d step %d: a clone differs from its original", seed, i)
		}
	}
	if equalPairs == 0 {
		t.Fatalf("seed %d: the walk never revisited a state; the test checks nothing", seed)
	}
}

func TestCodeStringRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for c := model.CodeOK; c <= model.CodeOther; c++ {
		s := c.String()
		if seen[s] {
			t.Fatalf("duplicate code name %q", s)
		}
		seen[s] = true
		got, err := model.ParseCode(s)
		if err != nil || got != c {
			t.Fatalf("ParseCode(%q) = %v, %v; want %v", s, got, err, c)
		}
	}
	if _, err := model.ParseCode("nonsense"); err == nil {
		t.Fatal("ParseCode(nonsense) succeeded")
	}
	if s := model.Code(200).String(); s != "code(200)" {
		t.Fatalf("Code(200).String() = %q", s)
	}
}

func TestOpKindStringRoundTrip(t *testing.T) {
	kinds := model.OpKinds()
	if len(kinds) != 15 {
		t.Fatalf("OpKinds() has %d kinds, want one per Registry method (15)", len(kinds))
	}
	for _, k := range kinds {
		got, err := model.ParseOpKind(k.String())
		if err != nil || got != k {
			t.Fatalf("ParseOpKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	if _, err := model.ParseOpKind("op(0)"); err == nil {
		t.Fatal("ParseOpKind accepted an invalid kind's name")
	}
	if model.OpKind(0).String() != "op(0)" {
		t.Fatalf("OpKind(0).String() = %q", model.OpKind(0).String())
	}
}

func TestCodeOfAndErr(t *testing.T) {
	for c := model.CodeOK; c <= model.CodeOther; c++ {
		err := c.Err()
		if (c == model.CodeOK) != (err == nil) {
			t.Fatalf("%v.Err() = %v", c, err)
		}
		if got := model.CodeOf(err); got != c {
			t.Fatalf("CodeOf(%v.Err()) = %v", c, got)
		}
		if err != nil {
			wrapped := fmt.Errorf("context: %w", fmt.Errorf("more: %w", err))
			if got := model.CodeOf(wrapped); got != c {
				t.Fatalf("CodeOf(wrapped %v) = %v", c, got)
			}
		}
	}
	if got := model.CodeOf(errors.New("something else")); got != model.CodeOther {
		t.Fatalf("CodeOf(unknown) = %v, want other", got)
	}
	// The refined not-found errors are still ErrNotFound, and win over it.
	for _, err := range []error{model.ErrServerNotFound, model.ErrTransportNotFound} {
		if !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("%v is not ErrNotFound", err)
		}
	}
	if model.CodeOf(model.ErrServerNotFound) != model.CodeServerNotFound {
		t.Fatal("ErrServerNotFound maps to the generic not-found code")
	}
}

func TestValidateID(t *testing.T) {
	for id, want := range map[string]bool{
		"":                        false,
		"a":                       true,
		string(make([]byte, 255)): false, // NULs are control characters
		"x\x1fy":                  false,
		"x\x7f":                   false,
		"tab\t":                   false,
		"é":                       true,
		"\xe9":                    false,
		"ok-\U0001F600":           true,
		"\U0001F600\xff":          false,
		string(rune(0x85)):        true, // C1 controls are not rejected: only ASCII ones are
		fmt.Sprintf("%0255d", 0):  true,
		fmt.Sprintf("%0256d", 0):  false,
	} {
		if got := model.ValidateID(id) == nil; got != want {
			t.Errorf("ValidateID(%q) ok=%v, want %v", id, got, want)
		}
	}
}

func TestInvokeUnknownKind(t *testing.T) {
	if res := model.Invoke(model.NewReference(), model.Op{Kind: 0}); res.Code != model.CodeOther {
		t.Fatalf("Invoke of kind 0 = %v, want other", res)
	}
}
