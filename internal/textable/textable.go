package textable

import (
	"io"
	"strings"
	"unicode/utf8"
)

// DefaultWidth is the width tables fit unless asked otherwise: 100
// columns, the widest terminal a reader can be assumed to have.
const DefaultWidth = 100

// Column is one column: its header and, for Write with a width, the
// most columns its cells may take before they wrap (0: never wraps).
type Column struct {
	Header string
	Max    int
}

// Table is a header and rows of cells, one per column.
type Table struct {
	Columns []Column
	Rows    [][]string
}

// gap separates columns.
const gap = 2

// Write writes t, every column left-aligned. With width > 0, cells in
// columns with a Max wrap at word boundaries to fit it (a word longer
// than Max is cut); with width <= 0 nothing wraps.
func (t Table) Write(w io.Writer, width int) error {
	n := len(t.Columns)
	limit := make([]int, n)
	if width > 0 {
		for i, c := range t.Columns {
			limit[i] = c.Max
		}
	}
	// Each row becomes lines of cells.
	var blocks [][][]string
	header := make([]string, n)
	for i, c := range t.Columns {
		header[i] = c.Header
	}
	for _, row := range append([][]string{header}, t.Rows...) {
		cells := make([][]string, n)
		lines := 1
		for i := range n {
			s := ""
			if i < len(row) {
				s = row[i]
			}
			cells[i] = wrap(s, limit[i])
			lines = max(lines, len(cells[i]))
		}
		block := make([][]string, lines)
		for l := range block {
			block[l] = make([]string, n)
			for i := range n {
				if l < len(cells[i]) {
					block[l][i] = cells[i][l]
				}
			}
		}
		blocks = append(blocks, block)
	}
	widths := make([]int, n)
	for _, b := range blocks {
		for _, line := range b {
			for i, s := range line {
				widths[i] = max(widths[i], utf8.RuneCountInString(s))
			}
		}
	}
	var sb strings.Builder
	for _, b := range blocks {
		for _, line := range b {
			var l strings.Builder
			for i, s := range line {
				l.WriteString(s)
				if i < n-1 {
					l.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s)+gap))
				}
			}
			sb.WriteString(strings.TrimRight(l.String(), " "))
			sb.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// wrap breaks s into lines of at most max runes at spaces (max <= 0: one
// line). A word longer than max is cut.
func wrap(s string, max int) []string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return []string{s}
	}
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		wr := []rune(word)
		for len(wr) > max {
			if len(cur) > 0 {
				lines = append(lines, string(cur))
				cur = nil
			}
			lines = append(lines, string(wr[:max]))
			wr = wr[max:]
		}
		switch {
		case len(cur) == 0:
			cur = wr
		case len(cur)+1+len(wr) <= max:
			cur = append(append(cur, ' '), wr...)
		default:
			lines = append(lines, string(cur))
			cur = wr
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
