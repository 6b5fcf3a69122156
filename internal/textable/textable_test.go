package textable

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func sample() Table {
	return Table{
		Columns: []Column{{Header: "NAME"}, {Header: "WHAT", Max: 20}, {Header: "TARGETS", Max: 12}},
		Rows: [][]string{
			{"lookup_100", "100 workers x 1000 lookups (find_server, uniform over 10,000 servers)", "p99 < 100 µs; > 100K ops/s"},
			{"x", "short", "supercalifragilistic"},
		},
	}
}

func TestWriteWrapsToFit(t *testing.T) {
	var b bytes.Buffer
	if err := sample().Write(&b, 60); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 12+2+20+2+12 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	// Nothing is lost: every word of every cell appears.
	for _, row := range sample().Rows {
		for _, cell := range row {
			for _, word := range strings.Fields(cell) {
				if len(word) <= 12 && !strings.Contains(out, word) {
					t.Errorf("word %q lost:\n%s", word, out)
				}
			}
		}
	}
	if !strings.Contains(out, "supercalifra\n") && !strings.Contains(out, "supercalifra") {
		t.Errorf("long word not cut at 12:\n%s", out)
	}
}

func TestWriteWideKeepsOneLinePerRow(t *testing.T) {
	var b bytes.Buffer
	if err := sample().Write(&b, 0); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Errorf("wide table has %d lines, want 3:\n%s", n, b.String())
	}
}

func TestWrap(t *testing.T) {
	got := wrap("aa bb cc dd", 5)
	if strings.Join(got, "|") != "aa bb|cc dd" {
		t.Errorf("wrap = %q", got)
	}
	if got := wrap("", 5); len(got) != 1 || got[0] != "" {
		t.Errorf("wrap of empty = %q", got)
	}
}
