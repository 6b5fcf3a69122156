package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// execute runs the CLI in-process and returns its exit status and what it
// wrote to stdout and stderr (cobra's own output; run()'s final error
// line goes to the process's stderr).
func execute(t *testing.T, args ...string) (int, string) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	code := exitOK
	if err != nil {
		code = exitFailure
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		} else if isCobraUsage(err) {
			code = exitUsage
		}
		out.WriteString(err.Error())
	}
	return code, out.String()
}

func TestUsageErrorsShowUsageAndExit2(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"sweep"}, {"run", "a", "b"}, {"help", "nosuch"}, {"nosuch"}} {
		code, out := execute(t, args...)
		if code != exitUsage {
			t.Errorf("shardlab %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
		if args[0] != "help" && args[0] != "nosuch" && !strings.Contains(out, "Usage:") {
			t.Errorf("shardlab %s prints no usage:\n%s", strings.Join(args, " "), out)
		}
	}
	if got := run([]string{"help", "nosuch"}); got != exitUsage {
		t.Errorf("run(help nosuch) = %d, want %d", got, exitUsage)
	}
	if code, out := execute(t, "help", "run"); code != exitOK || !strings.Contains(out, "Usage:") {
		t.Errorf("help run: exit %d, output %q", code, out)
	}
}

func TestVersionComesFromBuildInfo(t *testing.T) {
	code, out := execute(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "shardlab ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: exit %d, output %q; want \"shardlab VERSION ... goX\"", code, out)
	}
}

func TestCompletionOffersNames(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "run", "lookup_1"}, "lookup_100"},
		{[]string{"__complete", "run", "all"}, "all"},
		{[]string{"__complete", "sweep", ""}, "quick"},
		{[]string{"__complete", "run", "lookup_10", "--registry", "sharded,mu"}, "sharded,mutex"},
		{[]string{"__complete", "check", "--registry", "sy"}, "syncmap"},
	}
	for _, c := range cases {
		code, out := execute(t, c.args...)
		if code != exitOK || !strings.Contains(out, c.want+"\n") {
			t.Errorf("%v: exit %d, completions %q; want %q among them", c.args, code, out, c.want)
		}
	}
	// A name already in the list is not offered again.
	if _, out := execute(t, "__complete", "run", "x", "--registry", "sharded,"); strings.Contains(out, "sharded,sharded") {
		t.Errorf("completion repeats a listed registry: %q", out)
	}
}

func TestInterruptExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	out := t.TempDir()
	if got := runContext(ctx, []string{"run", "lookup_100", "--out", out}); got != exitInterrupted {
		t.Errorf("interrupted run: exit %d, want %d", got, exitInterrupted)
	}
}
