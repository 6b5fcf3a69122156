package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardlab/shardlab/drivers/protocol"
)

// script writes an executable shell script and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const helloAnswer = `{"id":0,"result":{"code":"ok","name":"fake","protocol":1,"ops":["register_server","find_server"]}}`

// TestCheckDriverExitStatuses: a driver that does not start or breaks the
// protocol is a usage error (2), never a verdict; the BEAM drivers give
// their verdicts through the protocol.
func TestCheckDriverExitStatuses(t *testing.T) {
	dir := t.TempDir()
	garbage := script(t, dir, "garbage", "read hello\necho '"+helloAnswer+"'\nread op\necho 'not json'\nsleep 5\n")
	crash := script(t, dir, "crash", "read hello\necho '"+helloAnswer+"'\nread op\necho 'crashed on purpose' >&2\nexit 3\n")
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no such driver", []string{"check", "--driver", filepath.Join(dir, "nope")}, exitUsage},
		{"garbage", []string{"check", "--driver", garbage, "--out", dir}, exitUsage},
		{"crash", []string{"check", "--driver", crash, "--out", dir}, exitUsage},
		{"unknown driver name", []string{"check", "--registry", "driver:etcd"}, exitUsage},
	}
	if _, err := exec.LookPath("erl"); err == nil || os.Getenv("SHARDLAB_SKIP_BEAM") != "1" {
		cases = append(cases,
			struct {
				name string
				args []string
				want int
			}{"erlang-ets", []string{"check", "--registry", "driver:erlang-ets", "--partitions", "4", "--histories", "5", "--long", "0", "--clients", "4", "--ops", "20", "--out", dir}, exitOK},
			struct {
				name string
				args []string
				want int
			}{"erlang-ets-stale", []string{"check", "--registry", "driver:erlang-ets-stale", "--partitions", "4", "--histories", "200", "--long", "0", "--clients", "4", "--ops", "20", "--out", dir}, exitFailure},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(c.args); got != c.want {
				t.Fatalf("exit %d, want %d", got, c.want)
			}
		})
	}
}

// TestInterruptReapsDriver: Ctrl-C while a driver hangs ends shardlab and
// leaves no driver process behind.
func TestInterruptReapsDriver(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	hang := script(t, dir, "hang", "echo $$ > "+pidFile+"\nread hello\necho '"+helloAnswer+"'\nexec sleep 1000\n")
	done := make(chan int)
	go func() { done <- run([]string{"check", "--driver", hang, "--out", dir}) }()
	var pid int
	for deadline := time.Now().Add(20 * time.Second); pid == 0; {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the driver never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // past the hello, into the campaign
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code == exitOK {
			t.Errorf("exit %d after Ctrl-C", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shardlab did not stop on Ctrl-C")
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("driver process %d still exists after Ctrl-C", pid)
	}
}

// TestDriverErrorsInRuns: run and sweep map a driver's failure, or an
// operation outside its profile, to exit status 2.
func TestDriverErrorsInRuns(t *testing.T) {
	for _, e := range []error{protocol.ErrProtocol, protocol.ErrExited, protocol.ErrHung, protocol.ErrStart, protocol.ErrUnsupported} {
		var ee *exitError
		if err := experimentStatus(fmt.Errorf("point x: %w", e)); !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("%v: %v, want exit status %d", e, err, exitUsage)
		}
	}
}
