// Package atomicfile writes files so that a reader, or a run that is
// interrupted, sees either the old file or the whole new one, never a
// torn one: results, figures and the report are things users asked to keep.
//
// It is not a general file API: it replaces whole files only.
//
// What it offers: Write (bytes) and WriteFrom (an io.WriterTo), both
// replacing a whole file atomically with mode Perm.
package atomicfile
