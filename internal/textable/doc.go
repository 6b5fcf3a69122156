// Package textable writes terminal tables that fit a width: columns
// given a maximum wrap their cells onto continuation lines at word
// boundaries, so a table fits 100 columns without dropping text, and a
// width of 0 writes every cell on one line (the CLI's --wide).
//
// What it is not: a formatter of values (internal/units spells numbers
// and units) or a renderer of HTML or Markdown tables (paper).
package textable
