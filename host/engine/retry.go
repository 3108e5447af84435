package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// MetadataRetry is the metadata key of a node's (or, as a fallback, its
// block's) retry policy:
//
//	retry:
//	  max_attempts: 3      # total attempts, ≥ 1 (1: no retry)
//	  backoff: 200ms       # delay before attempt 2
//	  multiplier: 2        # each further delay is multiplied by this (≥ 1)
//	  max_backoff: 30s     # cap on one delay
const MetadataRetry = "retry"

// Retry policy defaults for keys a policy leaves out.
const (
	defaultBackoff    = time.Second
	defaultMultiplier = 2.0
	defaultMaxBackoff = 5 * time.Minute
)

type retryPolicy struct {
	maxAttempts int
	backoff     time.Duration
	multiplier  float64
	maxBackoff  time.Duration
}

var noRetry = retryPolicy{maxAttempts: 1}

// delayAfter returns how long to wait after attempt n failed before
// creating attempt n+1.
func (p retryPolicy) delayAfter(n int) time.Duration {
	d := float64(p.backoff) * math.Pow(p.multiplier, float64(n-1))
	if d > float64(p.maxBackoff) {
		return p.maxBackoff
	}
	return time.Duration(d)
}

// parseRetry reads a retry policy from metadata; no "retry" key is no
// retry. Unknown keys are refused so a typo does not silently disable a
// policy.
func parseRetry(meta map[string]any) (retryPolicy, error) {
	raw, ok := meta[MetadataRetry]
	if !ok || raw == nil {
		return noRetry, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return noRetry, fmt.Errorf("must be an object with max_attempts, backoff, multiplier, max_backoff; got %T", raw)
	}
	p := retryPolicy{maxAttempts: 1, backoff: defaultBackoff, multiplier: defaultMultiplier, maxBackoff: defaultMaxBackoff}
	known := []string{"max_attempts", "backoff", "multiplier", "max_backoff"}
	for k := range m {
		if !slices.Contains(known, k) {
			return noRetry, fmt.Errorf("%s: unknown key (known: %s)", k, strings.Join(known, ", "))
		}
	}
	var err error
	if v, ok := m["max_attempts"]; ok {
		n, isNum := number(v)
		if !isNum || n != math.Trunc(n) || n < 1 || n > 1000 {
			return noRetry, fmt.Errorf("max_attempts: want an integer from 1 to 1000, got %v", v)
		}
		p.maxAttempts = int(n)
	}
	if p.backoff, err = duration(m, "backoff", p.backoff); err != nil {
		return noRetry, err
	}
	if p.maxBackoff, err = duration(m, "max_backoff", p.maxBackoff); err != nil {
		return noRetry, err
	}
	if v, ok := m["multiplier"]; ok {
		f, isNum := number(v)
		if !isNum || f < 1 || f > 100 {
			return noRetry, fmt.Errorf("multiplier: want a number from 1 to 100, got %v", v)
		}
		p.multiplier = f
	}
	return p, nil
}

func duration(m map[string]any, key string, def time.Duration) (time.Duration, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	s, isString := v.(string)
	d, err := time.ParseDuration(s)
	if !isString || err != nil || d < 0 {
		return 0, fmt.Errorf(`%s: want a duration such as "200ms" or "5s", got %v`, key, v)
	}
	return d, nil
}

// number accepts the numeric types JSON and YAML decoders produce.
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
	case uint64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}
