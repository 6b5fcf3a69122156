package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shardlab/shardlab/check"
	"github.com/shardlab/shardlab/internal/host"
	"github.com/shardlab/shardlab/store"
)

// historyIdentity names a history file by its base name and the SHA-256
// of its bytes, so that merge refuses shards of different files.
func historyIdentity(path string) (store.HistoryFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.HistoryFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return store.HistoryFile{}, err
	}
	return store.HistoryFile{Name: filepath.Base(path), SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// historyRecord is what history-check.json keeps of a verdict.
func historyRecord(v check.Verdict) store.HistoryVerdict {
	r := store.HistoryVerdict{
		Outcome: v.Outcome.String(), Ops: v.Ops, Partitions: v.Partitions, LargestPartition: v.LargestPartition,
		Decided: store.PartitionSizes{Count: v.Decided.Count, Total: v.Decided.Total, Min: v.Decided.Min, Max: v.Decided.Max, Buckets: v.Decided.Buckets[:]},
		Lists:   v.Lists, Keys: v.Keys, Description: v.Description, HTMLPath: v.HTMLPath, ElapsedNs: int64(v.Elapsed),
	}
	if v.Err != nil {
		r.Error = v.Err.Error()
	}
	return r
}

// historyVerdict turns a record back into a verdict (without the failing
// operations, which the record does not keep).
func historyVerdict(r store.HistoryVerdict) check.Verdict {
	v := check.Verdict{
		Ops: r.Ops, Partitions: r.Partitions, LargestPartition: r.LargestPartition, Lists: r.Lists, Keys: r.Keys,
		Description: r.Description, HTMLPath: r.HTMLPath, Elapsed: time.Duration(r.ElapsedNs),
		Decided: check.Sizes{Count: r.Decided.Count, Total: r.Decided.Total, Min: r.Decided.Min, Max: r.Decided.Max},
	}
	copy(v.Decided.Buckets[:], r.Decided.Buckets)
	switch r.Outcome {
	case check.Ok.String():
		v.Outcome = check.Ok
	case check.Violation.String():
		v.Outcome = check.Violation
	default:
		v.Outcome = check.Undecided
	}
	if r.Error != "" {
		v.Err = errors.New(r.Error)
	}
	return v
}

// mergeHistoryVerdicts is store.MergeConfig.MergeVerdicts: check's rule
// (any violation wins, else any undecided makes the whole undecided).
func mergeHistoryVerdicts(rs []store.HistoryVerdict) store.HistoryVerdict {
	vs := make([]check.Verdict, len(rs))
	for i, r := range rs {
		vs[i] = historyVerdict(r)
	}
	return historyRecord(check.MergeVerdicts(vs...))
}

// writeHistoryCheck records v as out's history-check.json, the folder's
// final marker for shardlab merge.
func writeHistoryCheck(out string, id store.HistoryFile, sh check.Shard, v check.Verdict) error {
	rec := &store.HistoryCheck{
		SchemaVersion: store.HistoryCheckSchemaVersion, Created: time.Now().UTC(), Host: host.Detect(),
		History: id, Verdict: historyRecord(v),
	}
	rec.Shard = sh.String()
	return store.WriteHistoryCheck(out, rec)
}

// historyCheckStatus prints a merged history verdict and maps it to the
// exit status, as check --history does.
func historyCheckStatus(w io.Writer, h *store.HistoryCheck) error {
	v := historyVerdict(h.Verdict)
	fmt.Fprintf(w, "%s: %s\n", h.History.Name, v)
	fmt.Fprintf(w, "decided: %s\n", v.Decided)
	switch v.Outcome {
	case check.Ok:
		return nil
	case check.Violation:
		fmt.Fprintln(w, v.Description)
		return withStatus(exitFailure, errors.New("not linearizable"))
	}
	fmt.Fprintln(w, v.Description)
	return withStatus(exitUndecided, fmt.Errorf("undecided: %s; %d of %d partitions decided", h.Verdict.Error, v.Decided.Count, v.Partitions))
}
