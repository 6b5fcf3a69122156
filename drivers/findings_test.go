package drivers_test

import (
	"path/filepath"
	"testing"

	"github.com/shardlab/shardlab/check"
)

// TestKeptFindings rechecks the histories docs/drivers.md reports: each
// was recorded through the protocol from a BEAM registry and must stay a
// violation, with the operations the page quotes.
func TestKeptFindings(t *testing.T) {
	for _, name := range []string{
		"erlang-ets-stale-death-notice.jsonl",
		"global-default-one-name-per-pid.jsonl",
		"global-list-sees-partial-cleanup.jsonl",
	} {
		t.Run(name, func(t *testing.T) {
			v, err := check.CheckFile(filepath.Join("..", "docs", "findings", name), check.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Outcome != check.Violation {
				t.Fatalf("%s: %s, want a violation", name, v)
			}
		})
	}
}
