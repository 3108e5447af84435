package badger

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Durability says when an append is acknowledged.
type Durability string

const (
	// DurabilitySync fsyncs every commit before acknowledging it: an
	// acknowledged append survives kill -9 and power loss. The default.
	DurabilitySync Durability = "sync"
	// DurabilityAsync acknowledges once the commit is in the operating
	// system's page cache. It survives a crash of the process (kill -9) but
	// a power loss or kernel crash may lose the appends of the last moments
	// (until the kernel writes the pages back, typically up to ~30 s).
	// Whatever survives is still consistent: a transaction is never torn.
	DurabilityAsync Durability = "async"
)

// Options configure a Store. The zero value of a field means its default,
// so Options{} is a valid configuration; DefaultOptions returns the
// defaults spelled out. Sizes are in bytes.
type Options struct {
	// Durability is "sync" (default) or "async"; see the constants.
	Durability Durability

	// InMemory keeps everything in memory and nothing on disk; for tests.
	// The directory passed to Open is ignored.
	InMemory bool

	// MemTableSize is the size of one in-memory write buffer (Badger
	// memtable). Each one is also a write-ahead file of this size on disk.
	// Larger absorbs bigger bursts between flushes but costs memory
	// (each memtable, and the flush that turns it into a table, holds about
	// this much, and Badger keeps up to eight such builders pooled while
	// writes continue). Default 4 MiB.
	MemTableSize int64
	// NumMemtables is how many memtables may exist at once (one active,
	// the rest waiting to be flushed). Default 2.
	NumMemtables int
	// BlockCacheSize is the cache of decompressed table blocks, which
	// speeds up reads of older events. Default 8 MiB.
	BlockCacheSize int64
	// IndexCacheSize bounds the memory for table indexes and bloom filters.
	// Default 8 MiB.
	IndexCacheSize int64
	// ValueLogFileSize is the size of one value-log file. Events bigger
	// than ValueThreshold live there. Default 64 MiB.
	ValueLogFileSize int64
	// ValueThreshold is the encoded event size above which the event is
	// kept in the value log rather than inline in the LSM tree. Default
	// 4 KiB: typical events stay inline, big payloads go to the value log.
	ValueThreshold int64
	// NumCompactors is the number of background compaction goroutines
	// (at least 2). Default 2.
	NumCompactors int
	// BaseTableSize is the size of one table file on disk; a compaction
	// builds tables of this size in memory. Default 1 MiB.
	BaseTableSize int64

	// GCInterval is how often value-log garbage collection runs. Default
	// 10 minutes; a negative value disables it.
	GCInterval time.Duration
	// GCDiscardRatio is the fraction of a value-log file that must be
	// garbage before GC rewrites it (0 < r < 1). Default 0.5.
	GCDiscardRatio float64

	// MaxBatchAppends bounds how many appends one group commit carries.
	// Default 1024.
	MaxBatchAppends int

	// SkipTableVerification skips verifying the checksum of every table
	// file when the store opens. Verification makes a damaged directory
	// fail at open with Badger's reason. Without it, Badger v4 notices a
	// damaged table only when it reads the block, and may then panic (a
	// slice out of range) instead of returning an error. Verification reads
	// every table once (seconds per GiB); the store then reopens the
	// database, so the pages read are not left mapped. Default false
	// (verify).
	SkipTableVerification bool

	// MinFreeSpace is the free space, in bytes, below which appends fail
	// with store.ErrNoSpace instead of letting Badger write into files it
	// maps into memory (on a full disk that is SIGBUS, not an error). It
	// must cover what Badger writes without an append: a memtable flush,
	// the compactions that follow, a new value-log file. Default 128 MiB;
	// negative disables the check.
	MinFreeSpace int64

	// Logger receives Badger's log lines (its INFO as Debug). Default: a
	// logger on standard error at Warn level.
	Logger hclog.Logger
}

// DefaultOptions returns the defaults documented on Options.
func DefaultOptions() Options {
	return Options{
		Durability:       DurabilitySync,
		MemTableSize:     4 << 20,
		NumMemtables:     2,
		BlockCacheSize:   8 << 20,
		IndexCacheSize:   8 << 20,
		ValueLogFileSize: 128 << 20, // a value may not be larger: 64 MiB inputs and outputs must fit
		ValueThreshold:   4 << 10,
		NumCompactors:    2,
		BaseTableSize:    1 << 20,
		GCInterval:       10 * time.Minute,
		GCDiscardRatio:   0.5,
		MaxBatchAppends:  1024,
		MinFreeSpace:     160 << 20,
	}
}

// withDefaults fills zero fields from DefaultOptions and checks the rest.
func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions()
	if o.Durability == "" {
		o.Durability = d.Durability
	}
	if o.Durability != DurabilitySync && o.Durability != DurabilityAsync {
		return o, fmt.Errorf("store option durability: %q is neither %q nor %q", o.Durability, DurabilitySync, DurabilityAsync)
	}
	fillInt64(&o.MemTableSize, d.MemTableSize)
	fillInt(&o.NumMemtables, d.NumMemtables)
	fillInt64(&o.BlockCacheSize, d.BlockCacheSize)
	fillInt64(&o.IndexCacheSize, d.IndexCacheSize)
	fillInt64(&o.ValueLogFileSize, d.ValueLogFileSize)
	fillInt64(&o.ValueThreshold, d.ValueThreshold)
	fillInt(&o.NumCompactors, d.NumCompactors)
	fillInt64(&o.BaseTableSize, d.BaseTableSize)
	fillInt(&o.MaxBatchAppends, d.MaxBatchAppends)
	fillInt64(&o.MinFreeSpace, d.MinFreeSpace)
	if o.GCInterval == 0 {
		o.GCInterval = d.GCInterval
	}
	if o.GCDiscardRatio == 0 {
		o.GCDiscardRatio = d.GCDiscardRatio
	}
	if err := o.check(); err != nil {
		return o, err
	}
	if o.Logger == nil {
		o.Logger = hclog.New(&hclog.LoggerOptions{Name: "store", Level: hclog.Warn})
	}
	return o, nil
}

// check rejects values Badger would refuse or mishandle, naming the option.
func (o Options) check() error {
	switch {
	case o.MemTableSize < 1<<20:
		return fmt.Errorf("store option mem_table_size: %d is below 1 MiB", o.MemTableSize)
	case o.NumMemtables < 1:
		return fmt.Errorf("store option num_memtables: %d, want at least 1", o.NumMemtables)
	case o.BlockCacheSize < 0 || o.IndexCacheSize < 0:
		return fmt.Errorf("store options block_cache_size and index_cache_size must not be negative")
	case o.ValueLogFileSize < 1<<20 || o.ValueLogFileSize >= 2<<30:
		return fmt.Errorf("store option value_log_file_size: %d, want 1 MiB up to 2 GiB", o.ValueLogFileSize)
	case o.ValueThreshold < 1 || o.ValueThreshold > 1<<20:
		return fmt.Errorf("store option value_threshold: %d, want 1 B up to 1 MiB", o.ValueThreshold)
	case !o.InMemory && o.ValueThreshold >= o.MemTableSize*15/100:
		return fmt.Errorf("store option value_threshold: %d must be below 15%% of mem_table_size (%d)", o.ValueThreshold, o.MemTableSize)
	case o.NumCompactors < 2:
		return fmt.Errorf("store option num_compactors: %d, want at least 2", o.NumCompactors)
	case o.GCDiscardRatio <= 0 || o.GCDiscardRatio >= 1:
		return fmt.Errorf("store option gc_discard_ratio: %v, want between 0 and 1", o.GCDiscardRatio)
	case o.MaxBatchAppends < 1:
		return fmt.Errorf("store option max_batch_appends: %d, want at least 1", o.MaxBatchAppends)
	}
	return nil
}

func fillInt64(v *int64, def int64) {
	if *v == 0 {
		*v = def
	}
}

func fillInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}
