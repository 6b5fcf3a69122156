package main

import (
	"fmt"
	"runtime/debug"
)

// version describes the binary from its build info: the module version
// (a tag, or "(devel)" for a build from a checkout), the VCS revision and
// time it was built from, and whether the tree had uncommitted changes.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build info)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev == "" {
		return fmt.Sprintf("%s, revision unknown (built without VCS stamping; make build stamps it), %s", v, bi.GoVersion)
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return fmt.Sprintf("%s (revision %s%s, %s, %s)", v, rev, dirty, at, bi.GoVersion)
}
