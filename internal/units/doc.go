// Package units writes numbers and units the one way shardlab shows
// them: thousands separators, throughputs and latencies. Tables (package
// experiments), the report (package paper) and the CLI all use it.
//
// What it is not: parsing, or rounding for computation; every function
// here returns text for people.
package units
