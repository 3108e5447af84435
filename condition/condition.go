package condition

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// Sentinel errors. Every error this package returns wraps exactly one of
// them, so callers can tell a badly written predicate from a failed run.
var (
	// ErrUnknownFormat: the predicate is not of the form {"cel": "<expression>"}.
	ErrUnknownFormat = errors.New("unknown predicate format")
	// ErrCompile: the expression does not parse or type-check.
	ErrCompile = errors.New("condition does not compile")
	// ErrNotBool: the expression's result is not a boolean.
	ErrNotBool = errors.New("condition is not boolean")
	// ErrEvaluate: evaluation failed (missing key, cost limit, cancelled, …).
	ErrEvaluate = errors.New("condition evaluation failed")
)

// CELKey is the one predicate key openoma understands.
const CELKey = "cel"

// The variable names an expression can use; see the package documentation.
const (
	VarInputs  = "inputs"
	VarOutputs = "outputs"
	VarSource  = "source"
	VarFlow    = "flow"
)

// Defaults for the limits a Compiler applies.
const (
	DefaultCostLimit     = 1_000_000 // CEL cost units per evaluation
	DefaultMaxExpression = 8 << 10   // code points in one expression
	DefaultMaxDepth      = 100       // parser recursion depth
	DefaultCacheSize     = 4096      // compiled programs kept per Compiler
	interruptCheckEvery  = 100       // comprehension iterations between ctx checks
)

// Option adjusts a Compiler.
type Option func(*config)

type config struct {
	costLimit     uint64
	maxExpression int
	maxDepth      int
	cacheSize     int
}

// WithCostLimit sets the CEL cost budget of one evaluation; an expression
// that exceeds it fails with ErrEvaluate instead of running on.
func WithCostLimit(limit uint64) Option { return func(c *config) { c.costLimit = limit } }

// WithMaxExpressionSize sets the longest expression, in code points, that
// Compile accepts.
func WithMaxExpressionSize(n int) Option { return func(c *config) { c.maxExpression = n } }

// WithCacheSize sets how many compiled programs a Compiler keeps; 0 disables
// the cache.
func WithCacheSize(n int) Option { return func(c *config) { c.cacheSize = n } }

// Compiler holds the CEL environment and a cache of compiled programs keyed
// by expression text. It is safe for concurrent use.
type Compiler struct {
	env *cel.Env
	cfg config

	mu    sync.Mutex
	cache map[string]*Program
	// envs holds the environments Check built, by their declarations.
	envs map[string]*cel.Env
	// checks holds Check's results, by declarations, result and expression.
	checks map[string]error
}

// NewCompiler builds the CEL environment described in the package
// documentation.
func NewCompiler(opts ...Option) (*Compiler, error) {
	cfg := config{
		costLimit:     DefaultCostLimit,
		maxExpression: DefaultMaxExpression,
		maxDepth:      DefaultMaxDepth,
		cacheSize:     DefaultCacheSize,
	}
	for _, o := range opts {
		o(&cfg)
	}
	mapType := cel.MapType(cel.StringType, cel.DynType)
	env, err := cel.NewEnv(
		cel.Variable(VarInputs, mapType),
		cel.Variable(VarOutputs, mapType),
		cel.Variable(VarSource, mapType),
		cel.Variable(VarFlow, mapType),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(cfg.maxExpression),
		cel.ParserRecursionLimit(cfg.maxDepth),
		ext.Strings(),
	)
	if err != nil {
		return nil, fmt.Errorf("condition: building CEL environment: %w", err)
	}
	return &Compiler{env: env, cfg: cfg, cache: map[string]*Program{}, envs: map[string]*cel.Env{}, checks: map[string]error{}}, nil
}

// Expression returns the CEL expression of a structured predicate, or an
// error wrapping ErrUnknownFormat when pred is not {"cel": "<expression>"}.
func Expression(pred map[string]any) (string, error) {
	raw, ok := pred[CELKey]
	if !ok || len(pred) != 1 {
		keys := make([]string, 0, len(pred))
		for k := range pred {
			keys = append(keys, fmt.Sprintf("%q", k))
		}
		slices.Sort(keys)
		return "", fmt.Errorf(`%w: keys [%s]; want {"cel": ...}`, ErrUnknownFormat, strings.Join(keys, ", "))
	}
	expr, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf(`%w: "cel" must be a string expression, got %s`, ErrUnknownFormat, jsonKind(raw))
	}
	if strings.TrimSpace(expr) == "" {
		return "", fmt.Errorf(`%w: "cel" expression is empty`, ErrUnknownFormat)
	}
	return expr, nil
}

// Compile checks that pred is {"cel": "<expression>"} and compiles the
// expression. See CompileExpression.
func (c *Compiler) Compile(pred map[string]any) (*Program, error) {
	expr, err := Expression(pred)
	if err != nil {
		return nil, err
	}
	return c.CompileExpression(expr)
}

// CompileExpression parses and type-checks a CEL expression against the
// openoma variables and plans it for evaluation. A program whose static
// type is known and not bool is rejected (ErrNotBool); other failures wrap
// ErrCompile. Results are cached by expression text.
func (c *Compiler) CompileExpression(expr string) (*Program, error) {
	if p := c.cached(expr); p != nil {
		return p, nil
	}
	ast, issues := c.env.Compile(expr)
	if issues != nil && issues.Err() != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, describeIssues(issues))
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("%w: expression has type %s, want bool", ErrNotBool, out)
	}
	prg, err := c.env.Program(ast,
		cel.CostLimit(c.cfg.costLimit),
		cel.InterruptCheckFrequency(interruptCheckEvery),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	p := &Program{expr: expr, prg: prg}
	c.store(expr, p)
	return p, nil
}

func (c *Compiler) cached(expr string) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cache[expr]
}

// store adds p to the cache. When the cache is full an arbitrary entry is
// dropped: the expressions come from a finite set of definitions, so the
// bound only matters against unbounded distinct input, where any victim
// will do.
func (c *Compiler) store(expr string, p *Program) {
	if c.cfg.cacheSize <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) >= c.cfg.cacheSize {
		for k := range c.cache {
			delete(c.cache, k)
			break
		}
	}
	c.cache[expr] = p
}

// describeIssues renders CEL's issues on one line ("1:5: undeclared
// reference to 'foo'; …"), since callers put them in single-line errors.
func describeIssues(issues *cel.Issues) string {
	errs := issues.Errors()
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		parts = append(parts, fmt.Sprintf("%d:%d: %s", e.Location.Line(), e.Location.Column()+1, e.Message))
	}
	return strings.Join(parts, "; ")
}

// jsonKind names the JSON type of a decoded value for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case float64, int, int64, uint64, float32, int32:
		return "a number"
	default:
		return fmt.Sprintf("%T", v)
	}
}
