package godriver_test

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	godriver "github.com/shardlab/shardlab/drivers/go"
	"github.com/shardlab/shardlab/model"
)

// TestServe: the hello carries the profile, owners come back by the names
// sent, a reset empties the registry, and a bad request ends Serve with an
// error after the answers before it.
func TestServe(t *testing.T) {
	in := strings.Join([]string{
		`{"id":0,"client":0,"op":"hello","args":{"protocol":1}}`,
		`{"id":1,"client":0,"op":"register_server","args":{"server":"s1","owner":"<0.85.0>","config":"c"}}`,
		`{"id":2,"client":0,"op":"find_server","args":{"server":"s1"}}`,
		`{"id":3,"client":0,"op":"reset"}`,
		`{"id":4,"client":1,"op":"find_server","args":{"server":"s1"}}`,
		`{"id":5,"client":1,"op":"owner_down","args":{"owner":""}}`,
	}, "\n") + "\n"
	var out strings.Builder
	err := godriver.Serve(strings.NewReader(in), &out, godriver.Info{Name: "ref", Version: "1", Ops: []model.OpKind{model.OpRegisterServer, model.OpFindServer, model.OpOwnerDown}},
		func() (model.Registry, error) { return model.NewReference(), nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"id":0,"result":{"code":"ok","name":"ref","version":"1","protocol":1,"ops":["register_server","find_server","owner_down"]}}`,
		`{"id":1,"result":{"code":"ok"}}`,
		`{"id":2,"result":{"code":"ok","owner":"\u003c0.85.0\u003e","config":"c"}}`,
		`{"id":3,"result":{"code":"ok"}}`,
		`{"id":4,"result":{"code":"server_not_found"}}`,
		`{"id":5,"result":{"code":"invalid_owner"}}`,
	}
	got := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		got[sc.Text()] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing answer %s in:\n%s", w, out.String())
		}
	}
	err = godriver.Serve(strings.NewReader("{\"id\":0,\"client\":0,\"op\":\"fly\"}\n"), &out, godriver.Info{Name: "x"},
		func() (model.Registry, error) { return model.NewReference(), nil })
	if !errors.Is(err, godriver.ErrRequest) {
		t.Fatalf("unknown op: %v, want ErrRequest", err)
	}
}
