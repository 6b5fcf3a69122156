package capacity

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shardlab/shardlab/sim"
)

// DefaultMix is the seed's sustained mix: 40 % lookups, 30 % routes, 20 %
// registrations, 10 % binds.
const DefaultMix = "find_server:40,route_to_server:30,register_server:20,bind:10"

// ParseMix reads "kind:weight,kind:weight" (kinds as model.OpKind spells
// them). Errors name flag.
func ParseMix(flag, s string) (sim.Mix, error) {
	ws := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		op, w, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return sim.Mix{}, fmt.Errorf("%w: %s %q: want kind:weight,kind:weight", ErrConfig, flag, s)
		}
		v, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return sim.Mix{}, fmt.Errorf("%w: %s %q: weight %q is not a number", ErrConfig, flag, s, w)
		}
		if _, dup := ws[op]; dup {
			return sim.Mix{}, fmt.Errorf("%w: %s %q: %s given twice", ErrConfig, flag, s, op)
		}
		ws[op] = v
	}
	m, err := sim.ParseMix(ws)
	if err != nil {
		return sim.Mix{}, fmt.Errorf("%w: %s: %w", ErrConfig, flag, err)
	}
	for _, k := range m.Kinds() {
		if _, ok := ruleOf(k); !ok {
			return sim.Mix{}, fmt.Errorf("%w: %s: %s (the model covers %v)", ErrNotKind, flag, k, ModelledKinds())
		}
	}
	return m, nil
}

// ParseKeys checks a key distribution name (and theta for zipfian and
// latest; 0 means the default). Errors name flag.
func ParseKeys(flag, dist string, theta float64) (sim.Keys, error) {
	k := sim.Keys{Dist: dist, Theta: theta}
	if _, err := sim.NewKeyGen(k, 1); err != nil {
		return sim.Keys{}, fmt.Errorf("%w: %s: %w", ErrConfig, flag, err)
	}
	return k, nil
}

// ParseInts reads "1,4,16"; every value must be in [lo, hi].
func ParseInts(flag, s string, lo, hi int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < lo || v > hi {
			return nil, fmt.Errorf("%w: %s %q: %q is not an integer in %d..%d", ErrConfig, flag, s, f, lo, hi)
		}
		out = append(out, v)
	}
	return out, nil
}
