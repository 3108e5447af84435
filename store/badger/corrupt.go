package badger

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	dgbadger "github.com/dgraph-io/badger/v4"

	"github.com/openoma/openoma/store"
)

// readError translates what Badger reports about damaged files into
// store.ErrCorrupt with the file named, so that a caller can tell "the
// disk is damaged" from any other failure. Other errors pass unchanged.
func readError(err error) error {
	if err == nil || errors.Is(err, store.ErrCorrupt) {
		return err
	}
	msg := err.Error()
	if m := missingVlog.FindStringSubmatch(msg); m != nil {
		fid, _ := strconv.ParseUint(m[1], 10, 32)
		return fmt.Errorf("%w: value-log file %s is missing (%v)", store.ErrCorrupt, vlogName(uint32(fid)), err)
	}
	for _, sign := range corruptionSigns {
		if strings.Contains(msg, sign) {
			return fmt.Errorf("%w: %w", store.ErrCorrupt, err)
		}
	}
	if errors.Is(err, dgbadger.ErrTruncateNeeded) {
		return fmt.Errorf("%w: %w", store.ErrCorrupt, err)
	}
	return err
}

// missingVlog is Badger's message for a value pointer into a value-log
// file it does not have.
var missingVlog = regexp.MustCompile(`file with ID: (\d+) not found`)

// corruptionSigns are fragments of Badger's messages about damaged bytes
// (badger v4.9.6): block and value checksums, value pointers past the end
// of a file, undecodable blocks.
var corruptionSigns = []string{
	"checksum mismatch", "CHECKSUM_MISMATCH", "Invalid value pointer offset",
	"Invalid read", "corrupt", "failed to decode", "while reading block",
}

func vlogName(fid uint32) string { return fmt.Sprintf("%06d.vlog", fid) }

// recovered turns a panic raised inside Badger while it reads damaged
// files (slice bounds, nil pointers in table or block decoding; badger
// v4.9.6 has several) into store.ErrCorrupt, so a damaged table fails the
// read that touched it instead of the process. Use as
// defer recovered(&err, what).
func recovered(err *error, what string) {
	r := recover()
	if r == nil {
		return
	}
	*err = fmt.Errorf("%s: %w: Badger's decoder failed reading the store's files: %s", what, store.ErrCorrupt, strings.Join(strings.Fields(fmt.Sprint(r)), " "))
}
