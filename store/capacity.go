package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shardlab/shardlab/capacity"
)

// A report's results directory may hold the capacity model's inputs:
//
//	DIR/capacity/calibration.json   capacity.Calibration (shardlab calibrate)
//	DIR/capacity/validation.json    capacity.Validation (shardlab validate-model)
//
// The part is optional: results measured before it existed build a report
// without the model's section.
const (
	CapacityDir     = "capacity"
	CalibrationFile = "calibration.json"
	ValidationFile  = "validation.json"
)

// loadCapacity reads DIR/capacity into in, if present. A calibration from
// another machine kind than the scenarios' is refused like any mixed
// host, unless allowMixed.
func (in *Inputs) loadCapacity(allowMixed bool) error {
	dir := filepath.Join(in.Dir, CapacityDir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		in.Notes = append(in.Notes, "no capacity/ part (calibration and model validation): the report's capacity section falls back to the sweep")
		return nil
	}
	h := in.Host()
	here := capacity.Host{CPUModel: h.CPUModel, OS: h.OS, Arch: h.Arch}
	cal, err := capacity.LoadCalibration(filepath.Join(dir, CalibrationFile), here, allowMixed)
	switch {
	case errors.Is(err, capacity.ErrOtherHost):
		return fmt.Errorf("%w: %w", ErrMixedHosts, err)
	case errors.Is(err, capacity.ErrSchema):
		return fmt.Errorf("%w: %w", ErrSchema, err)
	case err != nil:
		return fmt.Errorf("%w: %w", ErrPartial, err)
	}
	if cal.Host.Kind() != here.Kind() {
		in.Notes = append(in.Notes, fmt.Sprintf("the capacity model was calibrated on %s, the scenarios ran on %s", cal.Host.Kind(), here.Kind()))
	}
	v, err := capacity.LoadValidation(filepath.Join(dir, ValidationFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		in.Notes = append(in.Notes, "capacity/ holds no validation.json: the model's figures are unvalidated")
	case errors.Is(err, capacity.ErrSchema):
		return fmt.Errorf("%w: %w", ErrSchema, err)
	case err != nil:
		return fmt.Errorf("%w: %w", ErrPartial, err)
	}
	in.Calibration, in.Validation = cal, v
	return nil
}
