package fault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/sdk"
)

// DirEnv names the environment variable holding the directory of crash
// counters.
const DirEnv = "OPENOMA_FAULT_DIR"

// ErrCrashed is returned by Plan.Reached when the injector's crash function
// returned instead of ending the process (tests inject such a function):
// the caller must stop and record nothing more, as a dead process would.
var ErrCrashed = errors.New("fault injection: simulated crash")

// Injector counts injected crashes on disk and performs them. It is safe
// for concurrent use.
type Injector struct {
	dir   string
	crash func()
	mu    sync.Mutex // serialises read-increment-write of one counter
}

// DefaultDir is the counter directory when $OPENOMA_FAULT_DIR is unset.
func DefaultDir() string { return filepath.Join(os.TempDir(), "openoma-faults") }

// NewInjector returns an injector that keeps its counters in dir and
// crashes by calling crash; a nil crash kills the process with SIGKILL,
// the most abrupt exit there is (no deferred functions, no flushing, no
// goodbye to the host).
func NewInjector(dir string, crash func()) *Injector {
	if dir == "" {
		dir = DefaultDir()
	}
	if crash == nil {
		crash = KillSelf
	}
	return &Injector{dir: dir, crash: crash}
}

// FromEnv returns an injector that keeps its counters in $OPENOMA_FAULT_DIR
// (via getenv) and kills the process to crash.
func FromEnv(getenv func(string) string) *Injector {
	return NewInjector(getenv(DirEnv), nil)
}

// Dir returns the counter directory.
func (in *Injector) Dir() string { return in.dir }

// KillSelf ends the process with SIGKILL; should the signal somehow not
// arrive, it exits with status 137 (128+SIGKILL), as a shell reports it.
func KillSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	time.Sleep(time.Second)
	os.Exit(137)
}

// Crashes returns how many crashes were injected for the execution and
// attempt so far.
func (in *Injector) Crashes(id uuid.UUID, attempt int) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.read(id, attempt)
}

func (in *Injector) counterPath(id uuid.UUID, attempt int) string {
	return filepath.Join(in.dir, fmt.Sprintf("%s-attempt-%d.crashes", id, attempt))
}

func (in *Injector) read(id uuid.UUID, attempt int) (int, error) {
	data, err := os.ReadFile(in.counterPath(id, attempt))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read crash counter: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("crash counter %s: %q is not a count: %w", in.counterPath(id, attempt), data, err)
	}
	return n, nil
}

// write stores n durably: a temporary file, synced, renamed over the old
// one, so a crash right after leaves either count, never a torn one.
func (in *Injector) write(id uuid.UUID, attempt, n int) error {
	if err := os.MkdirAll(in.dir, 0o700); err != nil {
		return fmt.Errorf("create fault directory: %w", err)
	}
	f, err := os.CreateTemp(in.dir, ".crashes-*")
	if err != nil {
		return fmt.Errorf("write crash counter: %w", err)
	}
	_, err = fmt.Fprintf(f, "%d\n", n)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), in.counterPath(id, attempt))
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write crash counter: %w", err)
	}
	return nil
}

// Plan binds a spec to one execution attempt; it is the sdk.Checkpoints
// of the attempt's run (sdk.WithCheckpoints). A nil *Plan injects nothing,
// so callers need no checks.
type Plan struct {
	in      *Injector
	spec    Spec
	id      uuid.UUID
	attempt int
	log     hclog.Logger

	mu    sync.Mutex
	spent bool // the budget is known to be used up: skip the disk
}

var _ sdk.Checkpoints = (*Plan)(nil)

// Plan returns the plan for one execution attempt, or nil when spec is nil.
func (in *Injector) Plan(spec *Spec, id uuid.UUID, attempt int, log hclog.Logger) *Plan {
	if spec == nil || in == nil {
		return nil
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Plan{in: in, spec: *spec, id: id, attempt: attempt, log: log}
}

// At reports whether the plan crashes after point: the lifecycle must then
// record that point in an append of its own, so the crash falls between
// it and the next.
func (p *Plan) At(point Point) bool { return p != nil && p.spec.CrashAfter == point }

// Reached is called once point has been recorded. If the plan crashes
// there and its budget is not spent, it counts the crash on disk and
// crashes — which does not return in a real plugin process. It returns
// ErrCrashed when the crash function returned (tests), and an error if the
// counter could not be kept (then it does not crash: a crash that could
// not be counted might repeat forever).
func (p *Plan) Reached(ctx context.Context, point Point) error {
	if !p.At(point) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spent {
		return nil
	}
	p.in.mu.Lock()
	n, err := p.in.read(p.id, p.attempt)
	if err == nil && n < p.spec.Times {
		err = p.in.write(p.id, p.attempt, n+1)
	}
	p.in.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fault injection for execution %s: %w", p.id, err)
	}
	if n >= p.spec.Times {
		p.spent = true
		return nil
	}
	// The logger is the request's: it names the execution already.
	p.log.Warn("fault injection: crashing the plugin process", "attempt", p.attempt, "after", point, "crash", n+1, "of", p.spec.Times)
	p.in.crash()
	p.spent = n+1 >= p.spec.Times
	return fmt.Errorf("%w after %s (crash %d of %d)", ErrCrashed, point, n+1, p.spec.Times)
}
