// Command storeload measures what a Badger event store costs in memory and
// disk: it appends N events at full speed from many goroutines and reports
// throughput, appends per fsync, peak RSS and the directory's size; with
// -idle it only opens the store, waits, and reports the idle RSS. Used for
// the figures in docs/benchmarks.md (Badger section):
//
//	go run ./integration/internal/storeload -dir /tmp/load -events 1000000
//	go run ./integration/internal/storeload -dir /tmp/load -idle
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

var heapProfile string

func main() {
	dir := flag.String("dir", "", "data directory")
	events := flag.Int("events", 1_000_000, "events to append")
	appenders := flag.Int("appenders", 256, "concurrent appenders")
	durability := flag.String("durability", "sync", "sync or async")
	idle := flag.Bool("idle", false, "only open the store and report idle memory")
	gc := flag.Bool("gc", false, "run value-log GC after loading and report the size again")
	flag.StringVar(&heapProfile, "heapprofile", "", "write a heap profile here after loading")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load here")
	memLimit := flag.Int64("memlimit", 0, "Go soft memory limit in MiB (debug.SetMemoryLimit), as a host would set it; 0 leaves GOMEMLIMIT alone")
	memtable := flag.Int64("memtable", 0, "MemTableSize in MiB (0: the store's default)")
	basetable := flag.Int64("basetable", 0, "BaseTableSize in MiB (0: the store's default)")
	skipVerify := flag.Bool("skipverify", false, "SkipTableVerification")
	flag.Parse()
	opts := badger.Options{Durability: badger.Durability(*durability), MemTableSize: *memtable << 20,
		BaseTableSize: *basetable << 20, SkipTableVerification: *skipVerify}
	if *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var err error
	if *idle {
		err = measureIdle(*dir, opts)
	} else {
		err = load(*dir, opts, *events, *appenders, *gc)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "storeload:", err)
		os.Exit(1)
	}
}

func load(dir string, opts badger.Options, total, appenders int, gc bool) error {
	s, err := badger.Open(dir, opts)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, appenders)
	start := time.Now()
	for range appenders {
		wg.Go(func() {
			if err := appendExecutions(ctx, s, &next, int64(total)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	st := s.Stats()
	fmt.Printf("appended %d events in %d appends, %s: %.0f events/s, %.1f appends/commit\n",
		st.Events, st.Appends, took.Round(time.Millisecond), float64(st.Events)/took.Seconds(), st.AppendsPerCommit())
	fmt.Printf("peak RSS while loading: %s; RSS now: %s\n", procStatus("VmHWM"), procStatus("VmRSS"))
	printMemory()
	if heapProfile != "" {
		if f, err := os.Create(heapProfile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
	if gc {
		n, err := s.CollectGarbage(ctx)
		fmt.Printf("value-log GC rewrote %d files (%v)\n", n, err)
	}
	if err := s.Close(); err != nil {
		return err
	}
	fmt.Printf("directory size after close: %s\n", dirSize(dir))
	return nil
}

// appendExecutions appends executions of ten events (created, started,
// seven progress events, completed), one event per Append, until total
// events have been claimed.
func appendExecutions(ctx context.Context, s *badger.Store, next *atomic.Int64, total int64) error {
	exec := execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: "storeload"}
	for {
		first := next.Add(10) - 10
		if first >= total {
			return nil
		}
		id := uuid.New()
		for i := range min(10, total-first) {
			typ, payload := execution.EventProgress, any(map[string]any{"step": i, "note": strings.Repeat("x", 100)})
			switch i {
			case 0:
				typ, payload = execution.EventCreated, execution.Created{Kind: execution.KindBlock,
					FlowExecutionID: uuid.New(), WorkBlockID: uuid.New(), WorkBlockVersion: 1, Attempt: 1}
			case 1:
				typ, payload = execution.EventStarted, nil
			case 9:
				typ, payload = execution.EventCompleted, map[string]bool{"ok": true}
			}
			ev, err := execution.NewEvent(id, typ, &exec, payload)
			if err != nil {
				return err
			}
			if _, err := s.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil {
				return err
			}
		}
	}
}

func measureIdle(dir string, opts badger.Options) error {
	start := time.Now()
	s, err := badger.Open(dir, opts)
	if err != nil {
		return err
	}
	opened := time.Since(start)
	list, err := s.ListExecutions(context.Background(), store.Filter{OpenOnly: true})
	if err != nil {
		return err
	}
	time.Sleep(5 * time.Second)
	runtime.GC()
	fmt.Printf("opened in %s (%d open executions); idle RSS after 5 s: %s (peak %s)\n",
		opened.Round(time.Millisecond), len(list), procStatus("VmRSS"), procStatus("VmHWM"))
	printMemory()
	return s.Close()
}

// printMemory splits the current RSS into Go heap, anonymous and
// file-backed (mmapped tables and logs) memory.
func printMemory() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("  anon %s, file-backed %s; Go heap in use %.1f MiB, heap obtained from OS %.1f MiB, next GC at %.1f MiB\n",
		procStatus("RssAnon"), procStatus("RssFile"), float64(m.HeapInuse)/(1<<20), float64(m.HeapSys-m.HeapReleased)/(1<<20), float64(m.NextGC)/(1<<20))
}

// procStatus reads one field of /proc/self/status, e.g. "123456 kB".
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
		}
	}
	return "unknown"
}

func dirSize(dir string) string {
	var total int64
	var parts []string
	byExt := map[string]int64{}
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		byExt[filepath.Ext(d.Name())] += info.Size()
		return nil
	})
	for ext, n := range byExt {
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", ext, float64(n)/(1<<20)))
	}
	return fmt.Sprintf("%.1f MiB (%s)", float64(total)/(1<<20), strings.Join(parts, ", "))
}
