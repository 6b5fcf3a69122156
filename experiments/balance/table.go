package balance

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/shardlab/shardlab/store"
)

// WriteTable prints the study: one row per partitioner, partition count
// and key count (skew beside the ideal hash's band, the verdict, keys
// moved against theory), then the seed claim re-examined.
func WriteTable(out io.Writer, st *store.Balance) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PARTITIONER\tN\tKEYS\tSKEW\tIDEAL MEAN [95% BAND]\tVERDICT\tMOVED N->N+1\tTHEORY")
	for _, cell := range st.Cells {
		skew, band := "-", "-"
		if cell.SeedSkew != nil {
			skew = fmt.Sprintf("%.3f", *cell.SeedSkew)
		}
		if cell.Ideal != nil {
			band = fmt.Sprintf("%.3f [%.3f, %.3f]", cell.Ideal.Mean, cell.Ideal.P025, cell.Ideal.P975)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t%.4f\t%.4f\n", cell.Partitioner, cell.Partitions, cell.Keys, skew, band, cell.Verdict, cell.MovedFraction, cell.ExpectedMoved)
	}
	w.Flush()
	s := st.SeedCheck
	fmt.Fprintf(out, "\nseed claim (%d server_N keys, %d partitions): impl placement equals partition.Counts: %v; %s\n",
		s.Keys, s.Partitions, s.Agree, s.Verdict)
}
