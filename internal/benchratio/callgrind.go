package benchratio

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// InstrRow is one target's instruction count per operation, from callgrind.
type InstrRow struct {
	// Op is "find", "route" or "register+unregister"; Target is "impl" or
	// a bare map ("bare-xsync", ...); Partitions is impl's partition count
	// in the run the count came from.
	Op, Target string
	Partitions int
	PerOp      float64
}

var (
	// "partitions=64 keys=10000 ops=40000 writes=4000": the header
	// lookupinstr prints.
	instrHeader = regexp.MustCompile(`^partitions=(\d+) keys=(\d+) ops=(\d+) writes=(\d+)`)
	// "  9,337,110 ( 4.91%)  /path/lookupinstr/main.go:main.findImpl [/bin]":
	// callgrind_annotate --inclusive=yes, the function's entry under its
	// own file (entries under other files are the parts inlined from them).
	instrLine = regexp.MustCompile(`^\s*([\d,]+)\s+\([^)]*\)\s+\S*lookupinstr/main\.go:main\.(find|route|reg|loop)(\w+)(\s|$)`)
)

var instrTargets = map[string]string{
	"Impl": "impl", "XSync": "bare-xsync", "SyncMap": "bare-syncmap", "RWMutex": "bare-rwmutex", "Baseline": "loop",
}

var instrOps = map[string]string{"find": "find", "route": "route", "reg": "register+unregister", "loop": "loop"}

// ParseCallgrind reads the output of `make callgrind`: for each run, the
// header line lookupinstr printed, then callgrind_annotate --inclusive=yes
// of that run. It returns one row per target and operation per run.
func ParseCallgrind(r io.Reader) ([]InstrRow, error) {
	var (
		out        []InstrRow
		partitions int
		ops        float64
		writes     float64
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if m := instrHeader.FindStringSubmatch(line); m != nil {
			partitions, _ = strconv.Atoi(m[1])
			n, _ := strconv.Atoi(m[3])
			w, _ := strconv.Atoi(m[4])
			ops, writes = float64(n), float64(w)
			continue
		}
		m := instrLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		target, ok := instrTargets[m[3]]
		if !ok {
			continue
		}
		n := ops
		if m[2] == "reg" {
			n = writes
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: callgrind line %d before any lookupinstr header", ErrMalformed, lineNo)
		}
		ir, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: callgrind line %d: %v", ErrMalformed, lineNo, err)
		}
		out = append(out, InstrRow{Op: instrOps[m[2]], Target: target, Partitions: partitions, PerOp: ir / n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (no callgrind counts of lookupinstr's functions)", ErrNoResults)
	}
	return out, nil
}

// WriteInstr prints the instruction counts: per operation and partition
// count, impl beside the bare maps, and impl's count over bare xsync's.
func WriteInstr(w io.Writer, rows []InstrRow) error {
	type key struct {
		op string
		p  int
	}
	byKey := map[key]map[string]float64{}
	var keys []key
	loop := 0.0
	for _, r := range rows {
		if r.Op == "loop" {
			loop = r.PerOp
			continue
		}
		k := key{r.Op, r.Partitions}
		if byKey[k] == nil {
			byKey[k] = map[string]float64{}
			keys = append(keys, k)
		}
		byKey[k][r.Target] = r.PerOp
	}
	opOrder := map[string]int{"find": 0, "route": 1, "register+unregister": 2}
	slices.SortFunc(keys, func(a, b key) int {
		if a.op != b.op {
			return opOrder[a.op] - opOrder[b.op]
		}
		return a.p - b.p
	})
	fmt.Fprintln(w, "instructions per operation (callgrind, one thread, 10,000 keys drawn uniformly; exact, so no interval):")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\tP\timpl\tbare-xsync\tbare-syncmap\tbare-rwmutex\timpl / bare-xsync")
	cell := func(m map[string]float64, t string) string {
		if v, ok := m[t]; ok {
			return strconv.FormatFloat(v, 'f', 0, 64)
		}
		return "-"
	}
	for _, k := range keys {
		m := byKey[k]
		ratio := "-"
		if x, ok := m["bare-xsync"]; ok && x > 0 {
			if i, ok := m["impl"]; ok {
				ratio = fmt.Sprintf("%.2f", i/x)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", k.op, k.p, cell(m, "impl"), cell(m, "bare-xsync"),
			cell(m, "bare-syncmap"), cell(m, "bare-rwmutex"), ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nEach count includes the benchmark loop's own %.0f instructions per operation (drawing the key).\n", loop)
	return nil
}
