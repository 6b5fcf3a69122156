//go:build !unix

package store

import "os"

// tryLock: without flock the lock is advisory only and always granted;
// shardlab's writers are meant for unix hosts.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}
