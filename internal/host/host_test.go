package host

import (
	"runtime/debug"
	"testing"
)

func TestRevision(t *testing.T) {
	git := func(rev string, ok bool) func() (string, bool) { return func() (string, bool) { return rev, ok } }
	withVCS := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}
	dirty := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}}
	noVCS := &debug.BuildInfo{}
	cases := []struct {
		name string
		bi   *debug.BuildInfo
		git  func() (string, bool)
		want string
	}{
		{"build info wins over the folder's git", withVCS, git("def", true), "abc"},
		{"modified build", dirty, git("def", true), "abc+dirty"},
		{"no build info: git inside the repository", noVCS, git("def", true), "def"},
		{"no build info, not in the repository", noVCS, git("", false), ""},
		{"no build info at all", nil, git("", false), ""},
	}
	for _, c := range cases {
		if got := revision(c.bi, c.git); got != c.want {
			t.Errorf("%s: revision = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"module github.com/shardlab/shardlab\n\ngo 1.26\n": Module,
		"// c\nmodule \"example.com/x\"\n":                 "example.com/x",
		"go 1.26\n":                                        "",
	} {
		if got := modulePath([]byte(in)); got != want {
			t.Errorf("modulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	h := Detect()
	if h.NumCPU < 1 || h.GOMAXPROCS < 1 || h.GoVersion == "" || h.OS == "" || h.CPUModel == "" {
		t.Fatalf("Detect() = %+v", h)
	}
}
