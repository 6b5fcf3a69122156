package atomicfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Perm is the mode of every file written: results and figures are for
// sharing, and os.CreateTemp would leave them private.
const Perm = 0o644

// Write replaces path with data.
func Write(path string, data []byte) error {
	return WriteFrom(path, bytes.NewReader(data))
}

// WriteJSON replaces path with v as indented JSON and a final newline,
// creating path's directory when it is missing: the one way shardlab
// writes its JSON files (meta, calibrations, summaries).
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return Write(path, append(data, '\n'))
}

// WriteFrom replaces path with what w writes: it goes to a temporary file
// in the same directory, which is synced, given Perm, and renamed over path.
// On any error the temporary file is removed and path is untouched.
func WriteFrom(path string, w io.WriterTo) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := w.WriteTo(f)
	err = errors.Join(werr, f.Chmod(Perm), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
