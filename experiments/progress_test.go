package experiments

import (
	"bytes"
	"github.com/shardlab/shardlab/store"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestProgressFitsAndCountsOnlyRemaining: on a terminal 60 columns wide
// every redrawn line fits, and the time left after resuming counts only
// the points still to run.
func TestProgressFitsAndCountsOnlyRemaining(t *testing.T) {
	todo := []plan{{id: "a", estimate: 10 * time.Second}, {id: "b", estimate: 20 * time.Second}}
	var buf bytes.Buffer
	p := newProgress(&buf, true, 10, 8, todo)
	p.width = 60
	p.start(strings.Repeat("very-long-point-identifier/", 5))
	p.done("a", store.Point{}, todo[1:])
	p.start("b")
	p.done("b", store.Point{}, nil)
	p.finish()
	out := buf.String()
	if !strings.Contains(out, "resuming: 8 of 10 points already finished") {
		t.Errorf("no resume line in %q", out)
	}
	for _, line := range strings.Split(out, "\r") {
		line = strings.TrimRight(line, "\n ")
		if n := utf8.RuneCountInString(line); n > 60 && !strings.HasPrefix(line, "resuming") {
			t.Errorf("line of %d columns on a 60-column terminal: %q", n, line)
		}
	}
	if !strings.Contains(out, "[9/10] ~20s left: b") {
		t.Errorf("after resuming 8 and finishing a, want 20s left for b alone; got %q", out)
	}
	if fitColumns("abcdefghijklmnop", 12) != "abcdefghijk…" {
		t.Errorf("fitColumns = %q", fitColumns("abcdefghijklmnop", 12))
	}
}
