package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ErrLocked: another process is writing the results folder. The CLI maps
// it to exit status 2; the message names the holder.
var ErrLocked = errors.New("store: results folder is being written by another process")

// LockFile is the lock a writer holds on its folder for as long as it
// writes. The file stays (removing it would race with a new writer); the
// lock itself is released by Close or by the process ending, however it
// ends, so a killed run never leaves a folder locked.
const LockFile = ".shardlab.lock"

// Lock is an exclusive hold on a results folder.
type Lock struct {
	f *os.File
}

// LockDir creates dir if need be and takes its lock, or fails with ErrLocked naming the process
// that holds it (its pid, host, start time and command line).
func LockDir(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutput, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: lock %s: %w", ErrOutput, path, err)
	}
	if !held {
		holder, _ := os.ReadFile(path)
		f.Close()
		h := strings.TrimSpace(string(holder))
		if h == "" {
			h = "a process that has not yet said who it is"
		}
		return nil, fmt.Errorf("%w: %s is held by %s; wait for it to finish or stop it", ErrLocked, dir, h)
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("pid %d on %s since %s (%s)\n", os.Getpid(), host,
		time.Now().UTC().Format(time.RFC3339), strings.Join(os.Args, " "))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(who), 0)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	unlock(l.f)
	err := l.f.Close()
	l.f = nil
	return err
}

// tempName matches the temporary files internal/atomicfile makes for
// this package's files: ".NAME.DIGITS.tmp".
var tempName = regexp.MustCompile(`^\.(meta\.json|points\.jsonl|summary\.csv|done\.json|check\.json|balance\.json|balance\.csv)\.[0-9]+\.tmp$`)

// removeStaleTemps deletes the temporary files an interrupted atomic write
// of ours left in dir. Only names of our own making go; the caller holds
// dir's lock, so no writer of ours is using them.
func removeStaleTemps(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() && tempName.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("%w: %w", ErrOutput, err)
			}
		}
	}
	return nil
}

// CleanTemps removes stale temporary files of our naming from dir (a
// report's folder, say) while holding its lock.
func CleanTemps(dir string) error {
	l, err := LockDir(dir)
	if err != nil {
		return err
	}
	defer l.Close()
	return removeStaleTemps(dir)
}
