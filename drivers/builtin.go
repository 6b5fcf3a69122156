package drivers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Prefix starts every built-in driver's name: driver:NAME.
const Prefix = "driver:"

// Builtin is a driver in this repository.
type Builtin struct {
	// Name without the prefix, e.g. "elixir".
	Name        string
	Description string
	// Partitioned drivers take a partition count.
	Partitioned bool
	// Null drivers do nothing: their figures are the protocol's cost.
	Null bool
	// Baseline is the null driver in the same language, whose figures
	// are this driver's ceiling.
	Baseline string
	command  func(exe, root string, partitions int) []string
}

var builtins = []Builtin{
	{"go-sharded", "impl through the Go driver", true, false, "go-null", func(exe, _ string, p int) []string {
		return []string{exe, "driver-serve", "sharded", "--partitions", strconv.Itoa(p)}
	}},
	{"go-null", "a Go driver that does nothing: the protocol's own cost", false, true, "go-null", func(exe, _ string, _ int) []string {
		return []string{exe, "driver-serve", "null"}
	}},
	{"erlang-ets", "the Erlang registry after the seed's design (ETS per partition)", true, false, "erlang-null", func(_, root string, p int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "ets", "--partitions", strconv.Itoa(p)}
	}},
	{"erlang-ets-stale", "its deliberately broken variant (a stale death notice)", true, false, "erlang-null", func(_, root string, p int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "ets-stale", "--partitions", strconv.Itoa(p)}
	}},
	{"erlang-global", "OTP's global name registry (servers profile)", false, false, "erlang-null", func(_, root string, _ int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "global"}
	}},
	{"erlang-null", "an Erlang driver that does nothing: the protocol's own cost on the BEAM", false, true, "erlang-null", func(_, root string, _ int) []string {
		return []string{filepath.Join(root, "drivers/erlang/run"), "null"}
	}},
	{"elixir", "Elixir's Registry (keys: :unique, partitions: N; servers profile)", true, false, "erlang-null", func(_, root string, p int) []string {
		return []string{filepath.Join(root, "drivers/elixir/run"), "--partitions", strconv.Itoa(p)}
	}},
}

// Builtins returns the drivers in this repository.
func Builtins() []Builtin { return slices.Clone(builtins) }

// Names lists the built-in drivers as driver:NAME.
func Names() []string {
	var names []string
	for _, d := range builtins {
		names = append(names, Prefix+d.Name)
	}
	return names
}

// ErrUnknown: no built-in driver has that name.
var ErrUnknown = errors.New("drivers: unknown driver")

// Lookup returns the built-in driver called name (driver:NAME).
func Lookup(name string) (Builtin, error) {
	for _, d := range builtins {
		if Prefix+d.Name == name {
			return d, nil
		}
	}
	return Builtin{}, fmt.Errorf("%w %q (want one of %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Command resolves driver:NAME to its command line at partitions (for the
// drivers that have partitions). The Go drivers run `driver-serve` of the
// running executable, which must be shardlab. The BEAM drivers live in this
// repository's drivers/ folder, found at $SHARDLAB_ROOT or from the working
// directory upwards.
func Command(name string, partitions int) ([]string, error) {
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	root := os.Getenv("SHARDLAB_ROOT")
	if root == "" && !strings.HasPrefix(d.Name, "go-") {
		if root, err = repoRoot(); err != nil {
			return nil, err
		}
	}
	return d.command(exe, root, max(partitions, 1)), nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "drivers", "erlang", "run")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("drivers: drivers/erlang/run not found from the working directory upwards: run shardlab in its repository or set SHARDLAB_ROOT")
		}
		dir = up
	}
}
