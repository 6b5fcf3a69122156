package check

import (
	"bytes"
	"errors"
	"testing"

	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

// FuzzOpSequence drives the reference registry with an operation sequence
// from two interleaved clients, through the Recorder, and requires that the
// history checks Ok and survives a trip through the file format: a check
// that rejects a sequential history of a correct registry is a checker bug.
func FuzzOpSequence(f *testing.F) {
	opts := MachineOptions{}.withDefaults()
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		g := machineGen(t, opts)
		rec := NewRecorder(model.NewReference())
		for range rapid.IntRange(1, 60).Draw(t, "ops") {
			rec.Client(rapid.IntRange(0, 1).Draw(t, "client")).Do(g.random(0))
		}
		h := rec.History()
		if v := Check(h, Options{}); v.Outcome != Ok {
			t.Fatalf("%s\n%s", v, v.Description)
		}
		var buf bytes.Buffer
		if err := WriteHistory(&buf, h); err != nil {
			t.Fatal(err)
		}
		back, err := ReadHistory(&buf, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		for i := range h {
			if back[i] != h[i] {
				t.Fatalf("round trip changed op %d: %v -> %v", i, h[i], back[i])
			}
		}
	}))
}

// FuzzReadHistory: arbitrary input is either rejected with ErrMalformed or
// read into a history that checks without panicking.
func FuzzReadHistory(f *testing.F) {
	f.Add([]byte(`{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":7},"call":1,"return":2,"result":{"code":"ok"}}`))
	f.Add([]byte(`{"id":1,"client":1,"op":"list_servers","call":3,"return":4,"result":{"code":"ok","ids":["s1"]}}`))
	f.Add([]byte(`{"id":3,"client":2,"op":"owner_down","args":{"owner":7},"call":7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHistory(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("rejected without ErrMalformed: %v", err)
			}
			return
		}
		_ = Check(h, Options{})
	})
}
