package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := Write(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new contents")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new contents" {
		t.Fatalf("read %q, %v", got, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != Perm {
		t.Fatalf("mode %v, %v; want %v", info.Mode().Perm(), err, os.FileMode(Perm))
	}
	assertOnly(t, dir, "out.json")
}

type failingWriter struct{}

func (failingWriter) WriteTo(w io.Writer) (int64, error) {
	n, _ := w.Write([]byte("partial"))
	return int64(n), errors.New("disk on fire")
}

func TestFailedWriteLeavesOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := Write(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrom(path, failingWriter{}); err == nil {
		t.Fatal("a failing writer reported success")
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Fatalf("after a failed write the file holds %q, want the old contents", got)
	}
	assertOnly(t, dir, "out.json")
}

func TestMissingDirectoryIsAnError(t *testing.T) {
	if err := Write(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), nil); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Name() != name {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only %s (no temporary files left)", names, name)
	}
}

func TestWriteJSONIndentsCreatesTheFolderAndRefusesTheUnencodable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "v.json")
	if err := WriteJSON(path, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "{\n  \"a\": 1\n}\n" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := WriteJSON(path, func() {}); err == nil {
		t.Fatal("a function encoded as JSON")
	}
	got, _ = os.ReadFile(path)
	if string(got) != "{\n  \"a\": 1\n}\n" {
		t.Fatalf("a failed write changed the file: %q", got)
	}
	assertOnly(t, filepath.Join(dir, "sub"), "v.json")
}
