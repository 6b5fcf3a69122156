package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/pflag"
)

// writeJSON writes v as indented JSON: the --json output of every
// command, for scripts. Field names are the results' own (snake_case).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// outputFlags are --wide and --json, shared by the commands that print
// result tables.
type outputFlags struct{ wide, json bool }

func (o *outputFlags) register(f *pflag.FlagSet, what string) {
	f.BoolVar(&o.wide, "wide", false, "print "+what+" one line per row, however wide (default: fit 100 columns)")
	f.BoolVar(&o.json, "json", false, "print "+what+" as JSON instead of tables")
}

func (o *outputFlags) check() error {
	if o.wide && o.json {
		return usageError("--wide and --json: give one")
	}
	return nil
}

// tables is where result tables go: nowhere with --json (the JSON
// replaces them).
func (o *outputFlags) tables(w io.Writer) io.Writer {
	if o.json {
		return nil
	}
	return w
}
