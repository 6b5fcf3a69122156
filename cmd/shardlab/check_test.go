package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckExitStatuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	okFile := write("ok.jsonl", `{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":1},"call":1,"return":2,"result":{"code":"ok"}}
{"id":1,"client":1,"op":"find_server","args":{"server":"s1"},"call":3,"return":4,"result":{"code":"ok","owner":1}}
`)
	badFile := write("bad.jsonl", `{"id":0,"client":0,"op":"register_server","args":{"server":"s1","owner":1},"call":1,"return":2,"result":{"code":"ok"}}
{"id":1,"client":1,"op":"find_server","args":{"server":"s1"},"call":3,"return":4,"result":{"code":"server_not_found"}}
`)
	malformed := write("malformed.jsonl", `{"id":0,"client":0,"op":"list_servers","call":5,"return":4,"result":{"code":"ok"}}`)
	for _, c := range []struct {
		name string
		args []string
		want int
	}{
		{"linearizable file", []string{"check", "--history", okFile, "--out", dir}, exitOK},
		{"violation", []string{"check", "--history", badFile, "--out", dir}, exitFailure},
		{"malformed file", []string{"check", "--history", malformed}, exitUsage},
		{"missing file", []string{"check", "--history", filepath.Join(dir, "nope.jsonl")}, exitUsage},
		{"undecided", []string{"check", "--history", badFile, "--timeout", "1ns", "--out", dir}, exitUndecided},
		{"unknown registry", []string{"check", "--registry", "nope"}, exitUsage},
		{"bad workload", []string{"check", "--registry", "reference", "--keys", "1"}, exitUsage},
		{"campaign", []string{"check", "--registry", "reference", "--histories", "3", "--long", "0", "--out", dir}, exitOK},
		{"long history only", []string{"check", "--registry", "reference", "--histories", "0", "--long", "1", "--long-ops", "20", "--out", dir}, exitOK},
		{"nothing to check", []string{"check", "--registry", "reference", "--histories", "0", "--long", "0"}, exitUsage},
		{"negative histories", []string{"check", "--registry", "reference", "--histories", "-1"}, exitUsage},
		{"negative long", []string{"check", "--registry", "reference", "--long", "-1"}, exitUsage},
		{"zero clients", []string{"check", "--registry", "reference", "--clients", "0"}, exitUsage},
		{"zero keys", []string{"check", "--registry", "reference", "--keys", "0"}, exitUsage},
		{"zero ops", []string{"check", "--registry", "reference", "--ops", "0"}, exitUsage},
		{"zero long ops", []string{"check", "--registry", "reference", "--long-ops", "0"}, exitUsage},
		{"zero long keys", []string{"check", "--registry", "reference", "--long-keys", "-5"}, exitUsage},
		{"zero timeout", []string{"check", "--registry", "reference", "--timeout", "0"}, exitUsage},
		{"zero timeout, history", []string{"check", "--history", okFile, "--timeout", "0"}, exitUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := run(c.args); got != c.want {
				t.Fatalf("exit %d, want %d", got, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.jsonl.html")); err != nil {
		t.Errorf("no visualisation written for the violation: %v", err)
	}
}
