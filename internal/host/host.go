package host

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/shardlab/shardlab/store"
)

// Module is shardlab's module path: git is asked for a revision only
// inside a checkout of it.
const Module = "github.com/shardlab/shardlab"

// Detect describes this machine and this build for a results folder's
// metadata.
func Detect() store.Host {
	h := store.Host{
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUModel: cpuModel(),
	}
	bi, _ := debug.ReadBuildInfo()
	h.GitRevision = revision(bi, gitRevision)
	return h
}

// revision is the build's source revision: from the binary's build info
// when the build recorded one (vcs.revision, "+dirty" when vcs.modified),
// else from git, when git reports one for this module's checkout, else "".
// An installed binary run in some other folder therefore records the
// revision it was built from, not that folder's.
func revision(bi *debug.BuildInfo, git func() (string, bool)) string {
	if bi != nil {
		var rev string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	if rev, ok := git(); ok {
		return rev
	}
	return ""
}

// gitRevision asks git for HEAD (with "+dirty" for uncommitted changes),
// but only when the current directory is inside a checkout of Module.
func gitRevision() (string, bool) {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", false
	}
	mod, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(top)), "go.mod"))
	if err != nil || modulePath(mod) != Module {
		return "", false
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(st) > 0 {
		rev += "+dirty"
	}
	return rev, true
}

// modulePath is the module directive of a go.mod file.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// cpuModel is the CPU's model name from /proc/cpuinfo, or "unknown".
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
