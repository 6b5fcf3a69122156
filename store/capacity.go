package store

// A report's results directory may hold the capacity model's inputs:
//
//	DIR/capacity/calibration.json   capacity.Calibration (shardlab calibrate)
//	DIR/capacity/validation.json    capacity.Validation (shardlab validate-model)
//
// The part is optional: results measured before it existed build a report
// without the model's section. Package report reads it (store imports no
// model or driver, so that what only reads results stays light).
const (
	CapacityDir     = "capacity"
	CalibrationFile = "calibration.json"
	ValidationFile  = "validation.json"
)
