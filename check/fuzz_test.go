package check

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/model"
	"pgregory.net/rapid"
)

// FuzzOpSequence drives the reference registry with an operation sequence
// from two interleaved clients, through the Recorder, and requires that the
// history checks Ok and survives a trip through the file format: a check
// that rejects a sequential history of a correct registry is a checker bug.
func FuzzOpSequence(f *testing.F) {
	opts := MachineOptions{}.withDefaults()
	gen := opGen(opts, 0)
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		rec := NewRecorder(model.NewReference())
		for _, op := range rapid.SliceOfN(gen, 1, 60).Draw(t, "ops") {
			rec.Client(rapid.IntRange(0, 1).Draw(t, "client")).Do(op)
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
// read into a history that checks without panicking and survives a write
// and a read unchanged, byte for byte in every string. Seeds include bytes
// that are not UTF-8, lone surrogates, and huge numbers and lists.
func FuzzReadHistory(f *testing.F) {
	f.Add([]byte(`{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":7},"call":1,"return":2,"result":{"code":"ok"}}`))
	f.Add([]byte(`{"id":1,"client":1,"op":"list_servers","call":3,"return":4,"result":{"code":"ok","ids":["s1"]}}`))
	f.Add([]byte(`{"id":3,"client":2,"op":"owner_down","args":{"owner":7},"call":7}`))
	f.Add([]byte("{\"id\":0,\"client\":0,\"op\":\"find_server\",\"args\":{\"server\":\"s\xff\"},\"call\":1,\"return\":2,\"result\":{\"code\":\"server_not_found\"}}"))
	f.Add([]byte(`{"id":0,"client":0,"op":"register_server","args":{"server":{"b64":"c/8="},"owner":"<0.9.0>","config":{"b64":"/w=="}},"call":1,"return":2,"result":{"code":"invalid_id"}}`))
	f.Add([]byte(`{"id":0,"client":0,"op":"find_server","args":{"server":"s\udcff"},"call":1,"return":2,"result":{"code":"ok","owner":"\ud83d\ude00"}}`))
	f.Add([]byte(`{"id":9223372036854775807,"client":2147483647,"op":"owner_down","args":{"owner":18446744073709551615},"call":-9223372036854775808,"return":9223372036854775807,"result":{"code":"ok","count":"unknown"}}`))
	f.Add([]byte(`{"id":0,"client":0,"op":"register_server","args":{"server":"s","owner":1},"call":1,"return":2,"result":{"code":"unknown"}}`))
	f.Add([]byte(`{"id":0,"client":0,"op":"list_servers","call":1,"return":2,"result":{"code":"ok","ids":["a","b",{"b64":"/w=="},"c"]}}`))
	f.Add([]byte(`{"id":0,"client":0,"client":1,"op":"list_servers","call":1,"return":2,"result":{"code":"ok"}}`))
	f.Add(bytes.Repeat([]byte(`{"id":0,"client":0,"op":"list_servers","call":1,"return":2,"result":{"code":"ok","ids":["`+strings.Repeat("x", 255)+`"]}}`+"\n"), 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHistory(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("rejected without ErrMalformed: %v", err)
			}
			return
		}
		_ = Check(h, Options{Timeout: time.Second})
		var buf bytes.Buffer
		if err := WriteHistory(&buf, h); err != nil {
			t.Fatal(err)
		}
		back, err := ReadHistory(&buf, "again")
		if err != nil {
			t.Fatalf("written history does not read: %v", err)
		}
		if len(back) != len(h) {
			t.Fatalf("%d ops became %d", len(h), len(back))
		}
		for i := range h {
			if back[i] != h[i] {
				t.Fatalf("round trip changed op %d: %+v -> %+v", i, h[i], back[i])
			}
		}
	})
}

// FuzzHistoryBytes: operations whose strings are arbitrary bytes (IDs,
// configs, owner names) and whose numbers are extreme survive a write and
// a read exactly, and the checker's verdict on them does not change.
func FuzzHistoryBytes(f *testing.F) {
	f.Add("s\xff", "c\xfe\x00", "<0.1.0>", int64(1), int64(2), 0)
	f.Add("sé", "", "", int64(-1<<63), int64(1<<63-1), 3)
	f.Add("\u2028<&>", "\u00ff\x80", "\xed\xa0\x80", int64(0), int64(0), 1<<30)
	f.Fuzz(func(t *testing.T, id, cfg, owner string, call, ret int64, count int) {
		if ret < call {
			call, ret = ret, call
		}
		reg := Operation{ID: 0, Client: 0, Call: call, Return: ret,
			Op:     model.Op{Kind: model.OpRegisterServer, Server: id, Owner: 1 << 63, Config: model.Config(cfg)},
			Result: model.Result{Code: model.CodeInvalidID}, OwnerName: owner}
		if owner == "" {
			reg.Op.Owner, reg.OwnerName = 5, ""
		}
		down := Operation{ID: 1, Client: 1, Call: call, Return: ret, Op: model.Op{Kind: model.OpOwnerDown, Owner: reg.Op.Owner},
			OwnerName: reg.OwnerName, Result: model.Result{Count: max(count, 0) % (1 << 31)}}
		h := History{reg, down}
		var buf bytes.Buffer
		if err := WriteHistory(&buf, h); err != nil {
			t.Fatal(err)
		}
		back, err := ReadHistory(&buf, "fuzz")
		if err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		for i := range h {
			if back[i] != h[i] {
				t.Fatalf("round trip changed op %d: %+v -> %+v", i, h[i], back[i])
			}
		}
		if a, b := Check(h, Options{}), Check(back, Options{}); a.Outcome != b.Outcome {
			t.Fatalf("verdict changed in the round trip: %s -> %s", a, b)
		}
	})
}
