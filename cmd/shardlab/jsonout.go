package main

import (
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"

	"github.com/spf13/pflag"
)

// writeJSON writes v as indented JSON: the --json output of every
// command, for scripts. Field names are the results' own (snake_case
// where they have tags). JSON has no infinity or NaN: such values (an
// unbounded USL peak, an undefined ratio) are written as null.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(finite(reflect.ValueOf(v)))
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// finite copies v into plain maps, slices and values, with non-finite
// floats as nil, keeping the json tags' names and omitempty.
func finite(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type().Implements(marshalerType) {
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
			return nil
		}
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finite(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface() // []byte: base64, as encoding/json does
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = finite(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			out[keyString(it.Key())] = finite(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if strings.Contains(opts, "omitempty") && fv.IsZero() {
				continue
			}
			out[name] = finite(fv)
		}
		return out
	}
	return v.Interface()
}

func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	b, _ := json.Marshal(k.Interface())
	return strings.Trim(string(b), `"`)
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
