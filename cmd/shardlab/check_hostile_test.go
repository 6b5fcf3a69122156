package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCaptured runs the CLI with stdout and stderr sent to a file, and
// returns the exit status and what it printed.
func runCaptured(t *testing.T, args ...string) (int, string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = f, f
	code := run(args)
	os.Stdout, os.Stderr = stdout, stderr
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// repoFile finds path relative to the repository root (the folder with
// go.mod), wherever this package lives.
func repoFile(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, path)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Issue 11: `check --history ""` ran the default campaign and exited 0, so
// a CI script with an unset variable passed. Every empty value is a usage
// error.
func TestCheckEmptyValuesAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--history", ""},
		{"check", "--history="},
		{"check", "--registry", ""},
		{"check", "--out", "", "--histories", "1", "--long", "0"},
		{"check", "--history", "x.jsonl", "--max-memory", ""},
		{"check", "--history", "x.jsonl", "--max-memory", "lots"},
		{"check", "--history", "x.jsonl", "--workers", "-1"},
	} {
		code, out := runCaptured(t, args...)
		if code != exitUsage || !strings.Contains(out, "--") {
			t.Errorf("%q: exit %d, want %d with the flag named; output:\n%s", args, code, exitUsage, out)
		}
	}
}

// Every file of the hostile corpus gets the exit status and message its
// manifest gives.
func TestCheckHostileCorpus(t *testing.T) {
	dir := repoFile(t, filepath.Join("check", "testdata", "bad"))
	f, err := os.Open(filepath.Join(dir, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		want, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(parts[0], func(t *testing.T) {
			code, out := runCaptured(t, "check", "--history", filepath.Join(dir, parts[0]), "--out", t.TempDir(), "--timeout", "20s")
			if code != want || !strings.Contains(out, parts[2]) {
				t.Fatalf("exit %d, want %d with %q; output:\n%.2000s", code, want, parts[2], out)
			}
		})
	}
	if n < 20 {
		t.Fatalf("%d cases", n)
	}
}

// hardFile writes a history porcupine cannot finish quickly: many pending
// registrations and unregistrations of one server, and reads of it that
// contradict every order.
func hardFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"id":%d,"client":%d,"op":"register_server","args":{"server":"s1","owner":1},"call":%d}`+"\n", i, i, i+1)
		} else {
			fmt.Fprintf(&b, `{"id":%d,"client":%d,"op":"unregister_server","args":{"server":"s1"},"call":%d}`+"\n", i, i, i+1)
		}
	}
	for i := range n {
		fmt.Fprintf(&b, `{"id":%d,"client":%d,"op":"find_server","args":{"server":"s1"},"call":%d,"return":%d,"result":{"code":"overloaded"}}`+"\n",
			n+i, n+i, n+1+i, 10*n+i)
	}
	p := filepath.Join(t.TempDir(), "hard.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 11: SIGINT and SIGTERM did nothing to `check --history` (its
// context never reached the check). Now the first signal stops it at once:
// undecided, exit 3, one line saying why, details under --out.
func TestCheckHistoryStopsOnSignal(t *testing.T) {
	path := hardFile(t, 2000)
	out := t.TempDir()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			type result struct {
				code int
				out  string
			}
			done := make(chan result, 1)
			go func() {
				code, text := runCaptured(t, "check", "--history", path, "--timeout", "10m", "--out", out)
				done <- result{code, text}
			}()
			// Signal once the command is surely under way (run installs
			// its handler first thing).
			time.Sleep(500 * time.Millisecond)
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-done:
				if r.code != exitUndecided || !strings.Contains(r.out, "interrupted") || !strings.Contains(r.out, "details in") {
					t.Fatalf("exit %d, want %d, saying it was interrupted; output:\n%s", r.code, exitUndecided, r.out)
				}
				for _, line := range strings.Split(r.out, "\n") {
					if len(line) > 2000 {
						t.Fatalf("a line of %d bytes", len(line))
					}
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("check --history did not stop on " + sig.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "hard.jsonl.undecided.txt")); err != nil {
		t.Fatalf("no details file: %v", err)
	}
}

// The memory budget applies to the CLI: undecided, exit 3, the reason in
// one line.
func TestCheckHistoryMemoryBudget(t *testing.T) {
	path := hardFile(t, 40000)
	code, out := runCaptured(t, "check", "--history", path, "--timeout", "5m", "--max-memory", "64MiB", "--out", t.TempDir())
	if code != exitUndecided || !strings.Contains(out, "memory budget") {
		t.Fatalf("exit %d, want %d naming the memory budget; output:\n%s", code, exitUndecided, out)
	}
}

// The partition sizes decided are printed, and --workers is honoured.
func TestCheckHistoryReportsSizes(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, `{"id":%d,"client":%d,"op":"register_server","args":{"server":"s%03d","owner":%d},"call":%d,"return":%d,"result":{"code":"ok"}}`+"\n",
			i, i%4, i, i+1, 2*i+1, 2*i+2)
	}
	p := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"1", "2"} {
		code, out := runCaptured(t, "check", "--history", p, "--workers", w, "--out", t.TempDir())
		if code != exitOK || !strings.Contains(out, "decided: 100 partitions, 1..1 ops (100 in all); 1: 100") {
			t.Fatalf("--workers %s: exit %d; output:\n%s", w, code, out)
		}
	}
}
