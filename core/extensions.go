package core

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Flow constructs beyond the spec live in its free-form metadata dicts, so
// documents written for Python openoma still load there. This file gives
// them one typed reading that the validator and the engine share:
// docs/definitions.md ("Metadata extensions reference") is the reference.

// Metadata keys of the extensions.
const (
	MetaMaxIterations = "max_iterations" // flow, node: runs of one node per flow execution
	MetaForEach       = "for_each"       // node: one block execution per item of a list
	MetaTimeout       = "timeout"        // block, node: deadline after creation
	MetaRetry         = "retry"          // block, node: retry policy
	MetaTimer         = "timer"          // block, node: what an openoma.timer block waits for
	MetaSignal        = "signal"         // block, node: what an openoma.signal block waits for
)

// Execution hints the host serves itself, with no plugin process.
const (
	HintTimer  = "openoma.timer"
	HintSignal = "openoma.signal"
)

// Limits and defaults of the extensions.
const (
	// DefaultMaxIterations bounds a node's runs in one flow execution when
	// neither the node nor the flow sets max_iterations.
	DefaultMaxIterations = 25
	// MaxIterationsLimit is the largest max_iterations accepted.
	MaxIterationsLimit = 1_000_000
	// MaxForEachItems is the most items one for_each node runs; a longer
	// list fails the node.
	MaxForEachItems = 10_000
	// MaxRetryAttempts is the largest retry.max_attempts accepted.
	MaxRetryAttempts = 1000
	// MaxRetryMultiplier is the largest retry.multiplier accepted.
	MaxRetryMultiplier = 100.0
)

// Defaults of a retry policy's keys.
const (
	DefaultRetryBackoff    = time.Second
	DefaultRetryMultiplier = 2.0
	DefaultRetryMaxBackoff = 5 * time.Minute
)

// ForEach runs one block execution per item of a list (node metadata
// for_each).
type ForEach struct {
	// Items is a CEL expression over the same variables as conditions
	// (inputs, and outputs of the source node) that gives the list.
	Items string
	// As names the input port of the node's block each item is bound to.
	As string
	// MaxConcurrency bounds the items in flight at once; 0 leaves only
	// the plugin's own limit.
	MaxConcurrency int
}

// Retry is a retry policy: after a failed attempt n < MaxAttempts, attempt
// n+1 is created after Delay(n).
type Retry struct {
	MaxAttempts int           // total attempts, ≥ 1 (1: no retry)
	Backoff     time.Duration // delay before attempt 2
	Multiplier  float64       // each further delay is multiplied by this (≥ 1)
	MaxBackoff  time.Duration // cap on one delay
}

// Delay returns how long to wait after attempt n failed before creating
// attempt n+1.
func (r Retry) Delay(n int) time.Duration {
	d := float64(r.Backoff) * math.Pow(r.Multiplier, float64(n-1))
	if d > float64(r.MaxBackoff) {
		return r.MaxBackoff
	}
	return time.Duration(d)
}

// Timer is what an openoma.timer block waits for: a duration from when the
// timer starts (Wait), or a point in time (Until). Exactly one is set.
type Timer struct {
	Wait  time.Duration
	Until time.Time
}

// Due returns when a timer that started at start fires.
func (t Timer) Due(start time.Time) time.Time {
	if !t.Until.IsZero() {
		return t.Until
	}
	return start.Add(t.Wait)
}

// Signal is what an openoma.signal block waits for: a signal of this name
// sent to its execution. An empty Name means the node's alias.
type Signal struct {
	Name string
}

// Extensions is the typed reading of one metadata dict. Zero fields are
// extensions the dict does not set.
type Extensions struct {
	MaxIterations int           // ≥ 1 when set
	ForEach       *ForEach      // nil: not a for_each node
	Timeout       time.Duration // > 0 when set
	Retry         *Retry        // nil: no retry policy
	Timer         *Timer
	Signal        *Signal
}

// ExtensionScope says which entity a metadata dict belongs to, and so which
// extensions it may carry.
type ExtensionScope int

// The holders of metadata with extensions.
const (
	OnFlow  ExtensionScope = iota // max_iterations
	OnBlock                       // timeout, retry, timer, signal
	OnNode                        // all of them
)

func (s ExtensionScope) String() string {
	switch s {
	case OnFlow:
		return "flow"
	case OnBlock:
		return "block"
	case OnNode:
		return "node"
	}
	return fmt.Sprintf("ExtensionScope(%d)", int(s))
}

// scopes lists where each extension key may appear.
var extensionScopes = map[string][]ExtensionScope{
	MetaMaxIterations: {OnFlow, OnNode},
	MetaForEach:       {OnNode},
	MetaTimeout:       {OnBlock, OnNode},
	MetaRetry:         {OnBlock, OnNode},
	MetaTimer:         {OnBlock, OnNode},
	MetaSignal:        {OnBlock, OnNode},
}

// ParseExtensions reads every extension key of meta, the metadata of an
// entity of the given scope found at path (such as "metadata" or
// "nodes[2].metadata"). Other keys are free-form and ignored. An extension
// key that the scope may not carry, or a value that does not parse, is a
// *FieldError located at the offending field; all of them are returned as
// an ErrorList, with the Extensions of the keys that did parse.
func ParseExtensions(meta Metadata, scope ExtensionScope, path string) (Extensions, error) {
	var ext Extensions
	if !HasExtensions(meta) {
		return ext, nil // the common case, kept free of allocations
	}
	var errs ErrorList
	collect := func(err error) {
		if err != nil {
			errs = append(errs, asErrorList(err)...)
		}
	}
	for _, key := range extensionKeys {
		if _, ok := meta[key]; ok && !slices.Contains(extensionScopes[key], scope) {
			errs = append(errs, &FieldError{Path: path + "." + key, Message: misplaced(key)})
		}
	}
	var err error
	if scope != OnBlock {
		ext.MaxIterations, err = ParseMaxIterations(meta, path)
		collect(err)
	}
	if scope == OnNode {
		ext.ForEach, err = ParseForEach(meta, path)
		collect(err)
	}
	if scope != OnFlow {
		ext.Timeout, err = ParseTimeout(meta, path)
		collect(err)
		ext.Retry, err = ParseRetry(meta, path)
		collect(err)
		ext.Timer, err = ParseTimer(meta, path)
		collect(err)
		ext.Signal, err = ParseSignal(meta, path)
		collect(err)
	}
	return ext, errs.Err()
}

// extensionKeys lists the extension keys in the order they are checked.
var extensionKeys = []string{MetaMaxIterations, MetaForEach, MetaTimeout, MetaRetry, MetaTimer, MetaSignal}

// HasExtensions reports whether meta holds any extension key.
func HasExtensions(meta Metadata) bool {
	for _, key := range extensionKeys {
		if _, ok := meta[key]; ok {
			return true
		}
	}
	return false
}

func misplaced(key string) string {
	where := make([]string, 0, 2)
	for _, s := range extensionScopes[key] {
		where = append(where, s.String())
	}
	return fmt.Sprintf("%s belongs in %s metadata, where it takes effect; here it would be ignored", key, strings.Join(where, " or "))
}

// EffectiveExtensions combines the extensions that apply to one node of a
// flow. A key set on the node replaces the block's value whole (no merge of
// the keys inside an object): timeout, retry, timer, signal. The node's
// max_iterations replaces the flow's, and DefaultMaxIterations applies when
// neither sets it, so MaxIterations is always ≥ 1 in the result. for_each
// is the node's alone.
func EffectiveExtensions(flow, block, node Extensions) Extensions {
	out := block
	out.ForEach = node.ForEach
	if node.Timeout != 0 {
		out.Timeout = node.Timeout
	}
	if node.Retry != nil {
		out.Retry = node.Retry
	}
	if node.Timer != nil {
		out.Timer = node.Timer
	}
	if node.Signal != nil {
		out.Signal = node.Signal
	}
	switch {
	case node.MaxIterations > 0:
		out.MaxIterations = node.MaxIterations
	case flow.MaxIterations > 0:
		out.MaxIterations = flow.MaxIterations
	default:
		out.MaxIterations = DefaultMaxIterations
	}
	return out
}

// ParseMaxIterations reads max_iterations from meta (found at path): an
// integer from 1 to MaxIterationsLimit, or 0 when the key is absent.
func ParseMaxIterations(meta Metadata, path string) (int, error) {
	v, ok := meta[MetaMaxIterations]
	if !ok {
		return 0, nil
	}
	n, err := integer(v, 1, MaxIterationsLimit)
	if err != nil {
		return 0, ErrorList{{Path: path + "." + MetaMaxIterations, Message: err.Error()}}
	}
	return n, nil
}

// ParseForEach reads for_each from meta (found at path): an object with
// items (a non-empty CEL expression; compiling it is the validator's job),
// as (an input port name) and optionally max_concurrency (from 1 to
// MaxForEachItems). It returns nil when the key is absent.
func ParseForEach(meta Metadata, path string) (*ForEach, error) {
	obj, p, errs, ok := extensionObject(meta, MetaForEach, path, "items", "as", "max_concurrency")
	if !ok {
		return nil, errs.Err()
	}
	fe := &ForEach{}
	fe.Items, errs = requiredString(obj, "items", p, errs)
	fe.As, errs = requiredString(obj, "as", p, errs)
	if v, ok := obj["max_concurrency"]; ok {
		n, err := integer(v, 1, MaxForEachItems)
		if err != nil {
			errs = append(errs, &FieldError{Path: p + ".max_concurrency", Message: err.Error()})
		}
		fe.MaxConcurrency = n
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return fe, nil
}

// ParseTimeout reads timeout from meta (found at path): a positive Go
// duration such as "90s" or "2h30m", or 0 when the key is absent.
func ParseTimeout(meta Metadata, path string) (time.Duration, error) {
	v, ok := meta[MetaTimeout]
	if !ok {
		return 0, nil
	}
	d, err := duration(v, true)
	if err != nil {
		return 0, ErrorList{{Path: path + "." + MetaTimeout, Message: err.Error()}}
	}
	return d, nil
}

// ParseRetry reads retry from meta (found at path): an object with
// max_attempts (1 to MaxRetryAttempts, default 1), backoff and max_backoff
// (Go durations ≥ 0, defaults DefaultRetryBackoff and
// DefaultRetryMaxBackoff) and multiplier (1 to MaxRetryMultiplier, default
// DefaultRetryMultiplier). It returns nil when the key is absent or null.
func ParseRetry(meta Metadata, path string) (*Retry, error) {
	if v, ok := meta[MetaRetry]; ok && v == nil {
		return nil, nil // null: no policy, as the engine has always read it
	}
	obj, p, errs, ok := extensionObject(meta, MetaRetry, path, "max_attempts", "backoff", "multiplier", "max_backoff")
	if !ok {
		return nil, errs.Err()
	}
	r := &Retry{MaxAttempts: 1, Backoff: DefaultRetryBackoff, Multiplier: DefaultRetryMultiplier, MaxBackoff: DefaultRetryMaxBackoff}
	fail := func(key string, err error) {
		errs = append(errs, &FieldError{Path: p + "." + key, Message: err.Error()})
	}
	if v, ok := obj["max_attempts"]; ok {
		n, err := integer(v, 1, MaxRetryAttempts)
		if err != nil {
			fail("max_attempts", err)
		}
		r.MaxAttempts = n
	}
	for key, dst := range map[string]*time.Duration{"backoff": &r.Backoff, "max_backoff": &r.MaxBackoff} {
		if v, ok := obj[key]; ok {
			d, err := duration(v, false)
			if err != nil {
				fail(key, err)
			}
			*dst = d
		}
	}
	if v, ok := obj["multiplier"]; ok {
		f, isNum := number(v)
		if !isNum || math.IsNaN(f) || f < 1 || f > MaxRetryMultiplier {
			fail("multiplier", fmt.Errorf("want a number from 1 to %g, got %s", MaxRetryMultiplier, show(v)))
		}
		r.Multiplier = f
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b *FieldError) int { return strings.Compare(a.Path, b.Path) })
		return nil, errs
	}
	return r, nil
}

// ParseTimer reads timer from meta (found at path): {wait: "<Go duration
// ≥ 0>"} or {until: "<RFC 3339 time>"}, exactly one of them. It returns nil
// when the key is absent.
func ParseTimer(meta Metadata, path string) (*Timer, error) {
	obj, p, errs, ok := extensionObject(meta, MetaTimer, path, "wait", "until")
	if !ok || len(errs) > 0 {
		return nil, errs.Err()
	}
	wait, hasWait := obj["wait"]
	until, hasUntil := obj["until"]
	t := &Timer{}
	switch {
	case hasWait && hasUntil:
		return nil, ErrorList{{Path: p, Message: "set wait or until, not both"}}
	case hasWait:
		d, err := duration(wait, false)
		if err != nil {
			return nil, ErrorList{{Path: p + ".wait", Message: err.Error()}}
		}
		t.Wait = d
	case hasUntil:
		at, err := timestamp(until)
		if err != nil {
			return nil, ErrorList{{Path: p + ".until", Message: err.Error()}}
		}
		t.Until = at
	default:
		return nil, ErrorList{{Path: p, Message: `needs wait (a duration such as "48h") or until (an RFC 3339 time such as "2026-07-01T09:00:00Z")`}}
	}
	return t, nil
}

// ParseSignal reads signal from meta (found at path): an object with an
// optional non-empty name; {} or null waits for the node's alias. It
// returns nil when the key is absent.
func ParseSignal(meta Metadata, path string) (*Signal, error) {
	if v, ok := meta[MetaSignal]; ok && v == nil {
		return &Signal{}, nil
	}
	obj, p, errs, ok := extensionObject(meta, MetaSignal, path, "name")
	if !ok || len(errs) > 0 {
		return nil, errs.Err()
	}
	s := &Signal{}
	if v, ok := obj["name"]; ok {
		name, isString := v.(string)
		if !isString || strings.TrimSpace(name) == "" {
			return nil, ErrorList{{Path: p + ".name", Message: fmt.Sprintf("want a non-empty string, got %s", show(v))}}
		}
		s.Name = name
	}
	return s, nil
}

// extensionObject finds meta[key], which must be an object whose keys are
// among allowed. It returns the object, its path, the problems found and
// whether parsing should go on (false when the key is absent or the value
// is not an object).
func extensionObject(meta Metadata, key, path string, allowed ...string) (map[string]any, string, ErrorList, bool) {
	raw, present := meta[key]
	if !present {
		return nil, "", nil, false
	}
	p := path + "." + key
	obj, isObject := raw.(map[string]any)
	if !isObject {
		msg := fmt.Sprintf("must be an object with %s; got %s", strings.Join(allowed, ", "), show(raw))
		return nil, p, ErrorList{{Path: p, Message: msg}}, false
	}
	var errs ErrorList
	for _, k := range sortedKeys(obj) {
		if slices.Contains(allowed, k) {
			continue
		}
		msg := fmt.Sprintf("unknown key %q (known: %s)", k, strings.Join(allowed, ", "))
		if s := suggest(k, allowed); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		errs = append(errs, &FieldError{Path: p + "." + k, Message: msg})
	}
	return obj, p, errs, true
}

func requiredString(obj map[string]any, key, path string, errs ErrorList) (string, ErrorList) {
	v, ok := obj[key]
	if !ok {
		return "", append(errs, &FieldError{Path: path + "." + key, Message: "is required"})
	}
	s, isString := v.(string)
	if !isString || strings.TrimSpace(s) == "" {
		return "", append(errs, &FieldError{Path: path + "." + key, Message: fmt.Sprintf("want a non-empty string, got %s", show(v))})
	}
	return s, errs
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// integer reads a whole number from lo to hi.
func integer(v any, lo, hi int) (int, error) {
	f, isNum := number(v)
	if !isNum || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, fmt.Errorf("want an integer from %d to %d, got %s", lo, hi, show(v))
	}
	return int(f), nil
}

// duration reads a Go duration string; positive demands > 0, else ≥ 0.
func duration(v any, positive bool) (time.Duration, error) {
	s, isString := v.(string)
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if !isString || err != nil || d < 0 || (positive && d == 0) {
		want := "≥ 0"
		if positive {
			want = "> 0"
		}
		return 0, fmt.Errorf(`want a duration %s such as "90s" or "2h30m" (units ns, us, ms, s, m, h), got %s`, want, show(v))
	}
	return d, nil
}

// timestamp reads an RFC 3339 time, or a time.Time a decoder made of one.
func timestamp(v any) (time.Time, error) {
	if t, ok := v.(time.Time); ok {
		return t, nil
	}
	s, isString := v.(string)
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if !isString || err != nil {
		return time.Time{}, fmt.Errorf(`want an RFC 3339 time such as "2026-07-01T09:00:00Z", got %s`, show(v))
	}
	return t, nil
}

// number accepts the numeric types JSON, YAML and protobuf decoders
// produce.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	}
	return 0, false
}

// show renders a metadata value for an error message: strings quoted,
// others by their JSON kind and value, long ones cut.
func show(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		s = fmt.Sprintf("%q", x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	default:
		s = fmt.Sprintf("%v", x)
	}
	const limit = 80
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// asErrorList returns the FieldErrors of err; nil for nil.
func asErrorList(err error) ErrorList {
	if err == nil {
		return nil
	}
	if list, ok := err.(ErrorList); ok {
		return list
	}
	return ErrorList{{Message: err.Error()}}
}

// NodeExtensions returns the extensions in effect for node i of f, whose
// block is b: f's, b's and the node's metadata parsed and combined by
// EffectiveExtensions. Errors name their entity (the flow for its own and
// its nodes' metadata, the block for the block's), so one call locates a
// problem wherever it is.
func NodeExtensions(f *Flow, i int, b *WorkBlock) (Extensions, error) {
	var errs ErrorList
	parse := func(meta Metadata, scope ExtensionScope, entity, path string) Extensions {
		ext, err := ParseExtensions(meta, scope, path)
		for _, e := range asErrorList(err) {
			e.Entity = entity
			errs = append(errs, e)
		}
		return ext
	}
	flow := parse(f.Metadata, OnFlow, f.Describe(), "metadata")
	block := parse(b.Metadata, OnBlock, b.Describe(), "metadata")
	node := parse(f.Nodes[i].Metadata, OnNode, f.Describe(), fmt.Sprintf("nodes[%d].metadata", i))
	return EffectiveExtensions(flow, block, node), errs.Err()
}
