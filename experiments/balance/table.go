package balance

import (
	"fmt"
	"io"

	"github.com/shardlab/shardlab/internal/textable"
	"github.com/shardlab/shardlab/internal/units"
	"github.com/shardlab/shardlab/store"
)

// WriteTable prints the study: one row per partitioner, partition count
// and key count (skew beside the ideal hash's band, the verdict, keys
// moved against theory), then the seed claim re-examined.
func WriteTable(out io.Writer, st *store.Balance, width int) {
	t := textable.Table{Columns: []textable.Column{{Header: "PARTITIONER"}, {Header: "N"}, {Header: "KEYS"}, {Header: "SKEW"},
		{Header: "IDEAL MEAN [95% BAND]", Max: 14}, {Header: "VERDICT", Max: 22}, {Header: "MOVED N→N+1"}, {Header: "THEORY"}}}
	for _, cell := range st.Cells {
		skew, band := "—", "—"
		if cell.SeedSkew != nil {
			skew = fmt.Sprintf("%.3f", *cell.SeedSkew)
		}
		if cell.Ideal != nil {
			band = fmt.Sprintf("%.3f [%.3f, %.3f]", cell.Ideal.Mean, cell.Ideal.P025, cell.Ideal.P975)
		}
		moved, theory := fmt.Sprintf("%.4f", cell.MovedFraction), fmt.Sprintf("%.4f", cell.ExpectedMoved)
		if cell.NoNext {
			moved, theory = "—", "—"
		}
		t.Rows = append(t.Rows, []string{cell.Partitioner, fmt.Sprint(cell.Partitions), units.Commas(cell.Keys), skew, band, cell.Verdict, moved, theory})
	}
	_ = t.Write(out, width)
	s := st.SeedCheck
	if s.Keys == 0 {
		fmt.Fprintf(out, "\nshard %s: %d cells; the seed claim is another shard's\n", st.Shard, len(st.Cells))
		return
	}
	fmt.Fprintf(out, "\nseed claim (%d server_N keys, %d partitions): impl placement equals partition.Counts: %v; %s\n",
		s.Keys, s.Partitions, s.Agree, s.Verdict)
}
