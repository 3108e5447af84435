package badger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// stateFile is the store's own record of what the directory held when it
// last closed: Badger keeps no list of value-log files (a value pointer
// just names one), so a value-log file deleted behind its back is only
// noticed when an event stored in it is read, and then reads as zeros
// once Badger has recreated a file of that number. With this record a
// store that closed cleanly refuses to open when one of its value-log
// files is gone.
const stateFile = "openoma.state"

// storeState is the content of stateFile.
type storeState struct {
	// Clean is true when the store was closed; false while it is open
	// (after a crash it stays false, and value-log files may then have
	// been removed by garbage collection since it was written).
	Clean bool `json:"clean"`
	// LastPosition is the position of the newest event at close.
	LastPosition uint64 `json:"last_position"`
	// ValueLogs are the value-log files at close.
	ValueLogs []string  `json:"value_logs"`
	Written   time.Time `json:"written"`
}

// readState reads dir's state file; a missing one is the zero state.
func readState(dir string) (storeState, error) {
	var st storeState
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("open event store in %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		// The state only adds checks; a damaged one must not keep the
		// store shut, so it counts as "not closed cleanly".
		return storeState{}, nil
	}
	return st, nil
}

// writeState replaces dir's state file atomically.
func writeState(dir string, st storeState) error {
	st.Written = time.Now().UTC()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// valueLogNames lists dir's value-log files, sorted.
func valueLogNames(dir string) ([]string, error) {
	files, err := listStoreFiles(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for fid := range files.vlogs {
		names = append(names, vlogName(fid))
	}
	slices.Sort(names)
	return names, nil
}

// checkKnownValueLogs refuses a cleanly closed store that lost a value-log
// file since.
func checkKnownValueLogs(dir string, st storeState, files storeFiles) error {
	if !st.Clean {
		return nil
	}
	have := map[string]bool{}
	for fid := range files.vlogs {
		have[vlogName(fid)] = true
	}
	for _, name := range st.ValueLogs {
		if !have[name] {
			return corruptFile(dir, name, "is missing: the store held it when it was last closed (%s); events stored in it would read as lost", st.Written.Format(time.RFC3339))
		}
	}
	return nil
}
