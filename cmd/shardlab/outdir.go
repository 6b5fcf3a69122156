package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// checkOutFlag runs before every command: a command with an --out folder
// fails at once, with usage status 2, when that folder cannot be
// written, instead of after minutes of measuring.
func checkOutFlag(c *cobra.Command, _ []string) error {
	f := c.Flags().Lookup("out")
	if f == nil || f.Value.String() == "" {
		return nil
	}
	if err := checkWritable(f.Value.String()); err != nil {
		return usageError("--out %s: %v", f.Value.String(), err)
	}
	return nil
}

// checkWritable says whether dir can be created and written: it finds
// the nearest folder that exists on the way to dir and writes (then
// removes) a scratch file there. It creates nothing that stays.
func checkWritable(dir string) error {
	p := filepath.Clean(dir)
	for {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a folder", p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("no existing folder on the way to it")
		}
		p = parent
	}
	f, err := os.CreateTemp(p, ".shardlab-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", p, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
