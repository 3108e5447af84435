package badger

import (
	"fmt"
	"strings"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/hashicorp/go-hclog"
)

// badgerOptions translates o (already defaulted) into Badger's options.
func (o Options) badgerOptions(dir string) dgbadger.Options {
	bo := dgbadger.DefaultOptions(dir)
	if o.InMemory {
		bo = dgbadger.DefaultOptions("").WithInMemory(true)
	}
	bo.SyncWrites = o.Durability == DurabilitySync
	bo.MemTableSize = o.MemTableSize
	bo.NumMemtables = o.NumMemtables
	bo.BlockCacheSize = o.BlockCacheSize
	bo.IndexCacheSize = o.IndexCacheSize
	bo.ValueLogFileSize = o.ValueLogFileSize
	bo.ValueThreshold = o.ValueThreshold
	if o.InMemory {
		// Without a value log every value must fit inline.
		bo.ValueThreshold = min(maxInMemoryValue, o.MemTableSize*15/100-1)
	}
	bo.NumCompactors = o.NumCompactors
	bo.BaseTableSize = o.BaseTableSize
	// Level 1 holds a few tables; deeper levels grow tenfold as usual, but
	// table files stay BaseTableSize at every level, so a compaction never
	// builds more than a few small tables in memory at once.
	bo.BaseLevelSize = 5 * o.BaseTableSize
	bo.TableSizeMultiplier = 1
	// Flushing stalls writes only when L0 is far behind; keep the stall
	// threshold at Badger's default ratio.
	bo.NumLevelZeroTables = 5
	bo.NumLevelZeroTablesStall = 15
	bo.NumGoroutines = 2
	// The writer goroutine serialises every write, so Badger's conflict
	// detection would only cost memory and time.
	bo.DetectConflicts = false
	bo.NumVersionsToKeep = 1
	bo.Compression = options.Snappy
	bo.MetricsEnabled = false
	// Blocks are verified as they are read; whole tables are verified
	// before Badger opens them, by checkBeforeOpen (OnTableAndBlockRead
	// would do both, but it panics on a damaged block, badger v4.9.6).
	bo.ChecksumVerificationMode = options.OnBlockRead
	// Value-log entries carry Badger's CRC too; the event checksum
	// (codec.go) covers them already, inline values included.
	bo.VerifyValueChecksum = false
	bo.Logger = badgerLogger{o.Logger}
	return bo
}

// maxInMemoryValue is the largest encoded event an in-memory store holds:
// Badger's largest inline value, and below 15% of the memtable (Badger's
// transaction limit): about 600 KiB with the default 4 MiB memtable.
const maxInMemoryValue = 1 << 20

// badgerLogger sends Badger's log lines to an hclog.Logger. Badger's INFO
// lines (table counts at open, compactions) are routine, so they become
// Debug.
type badgerLogger struct{ l hclog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) { b.l.Error(line(f, a)) }
func (b badgerLogger) Warningf(f string, a ...any) {
	msg := line(f, a)
	// Badger reports its cache statistics as warnings every few minutes
	// under write load; they are tuning hints, not problems.
	if strings.HasPrefix(msg, "Block cache might be too small") || strings.HasPrefix(msg, "Cache life expectancy") {
		b.l.Debug(msg)
		return
	}
	b.l.Warn(msg)
}
func (b badgerLogger) Infof(f string, a ...any)  { b.l.Debug(line(f, a)) }
func (b badgerLogger) Debugf(f string, a ...any) { b.l.Trace(line(f, a)) }

func line(f string, a []any) string {
	return strings.TrimSpace(fmt.Sprintf(f, a...))
}
