package core

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// meta decodes a JSON object the way documents arrive (numbers as float64).
func meta(t testing.TB, doc string) Metadata {
	t.Helper()
	var m Metadata
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("bad test metadata %s: %v", doc, err)
	}
	return m
}

func TestParseExtensions(t *testing.T) {
	until := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	defaultRetry := Retry{MaxAttempts: 1, Backoff: time.Second, Multiplier: 2, MaxBackoff: 5 * time.Minute}
	tests := []struct {
		name  string
		scope ExtensionScope
		meta  string
		want  Extensions
		// errs lists "path: message fragment" for every error expected,
		// in order; empty means the metadata must parse.
		errs []string
	}{
		{name: "no extensions", scope: OnNode, meta: `{"owner": "ops", "retries": 3}`},
		{name: "max_iterations on node", scope: OnNode, meta: `{"max_iterations": 5}`, want: Extensions{MaxIterations: 5}},
		{name: "max_iterations on flow", scope: OnFlow, meta: `{"max_iterations": 1}`, want: Extensions{MaxIterations: 1}},
		{name: "max_iterations zero", scope: OnNode, meta: `{"max_iterations": 0}`,
			errs: []string{"m.max_iterations: want an integer from 1 to 1000000, got 0"}},
		{name: "max_iterations fraction", scope: OnFlow, meta: `{"max_iterations": 2.5}`,
			errs: []string{"m.max_iterations: want an integer"}},
		{name: "max_iterations string", scope: OnFlow, meta: `{"max_iterations": "5"}`,
			errs: []string{`m.max_iterations: want an integer from 1 to 1000000, got "5"`}},
		{name: "max_iterations on block", scope: OnBlock, meta: `{"max_iterations": 5}`,
			errs: []string{"m.max_iterations: max_iterations belongs in flow or node metadata"}},
		{name: "for_each", scope: OnNode, meta: `{"for_each": {"items": "inputs.tickets", "as": "ticket", "max_concurrency": 4}}`,
			want: Extensions{ForEach: &ForEach{Items: "inputs.tickets", As: "ticket", MaxConcurrency: 4}}},
		{name: "for_each without limit", scope: OnNode, meta: `{"for_each": {"items": "outputs.list", "as": "x"}}`,
			want: Extensions{ForEach: &ForEach{Items: "outputs.list", As: "x"}}},
		{name: "for_each missing keys", scope: OnNode, meta: `{"for_each": {}}`,
			errs: []string{"m.for_each.items: is required", "m.for_each.as: is required"}},
		{name: "for_each bad values", scope: OnNode, meta: `{"for_each": {"items": " ", "as": 3, "max_concurrency": 0}}`,
			errs: []string{"m.for_each.items: want a non-empty string", "m.for_each.as: want a non-empty string, got 3", "m.for_each.max_concurrency: want an integer from 1 to 10000, got 0"}},
		{name: "for_each unknown key", scope: OnNode, meta: `{"for_each": {"items": "inputs.l", "as": "x", "max_concurency": 2}}`,
			errs: []string{`m.for_each.max_concurency: unknown key "max_concurency" (known: items, as, max_concurrency); did you mean "max_concurrency"?`}},
		{name: "for_each not an object", scope: OnNode, meta: `{"for_each": "inputs.l"}`,
			errs: []string{`m.for_each: must be an object with items, as, max_concurrency; got "inputs.l"`}},
		{name: "for_each on block", scope: OnBlock, meta: `{"for_each": {"items": "inputs.l", "as": "x"}}`,
			errs: []string{"m.for_each: for_each belongs in node metadata"}},
		{name: "timeout", scope: OnBlock, meta: `{"timeout": "2h30m"}`, want: Extensions{Timeout: 150 * time.Minute}},
		{name: "timeout zero", scope: OnNode, meta: `{"timeout": "0s"}`, errs: []string{`m.timeout: want a duration > 0`}},
		{name: "timeout negative", scope: OnNode, meta: `{"timeout": "-5s"}`, errs: []string{`m.timeout: want a duration > 0`}},
		{name: "timeout without unit", scope: OnNode, meta: `{"timeout": "90"}`, errs: []string{`got "90"`}},
		{name: "timeout number", scope: OnNode, meta: `{"timeout": 90}`, errs: []string{`m.timeout: want a duration > 0 such as "90s"`}},
		{name: "timeout on flow", scope: OnFlow, meta: `{"timeout": "1h"}`, errs: []string{"m.timeout: timeout belongs in block or node metadata"}},
		{name: "retry defaults", scope: OnBlock, meta: `{"retry": {}}`, want: Extensions{Retry: &defaultRetry}},
		{name: "retry null is none", scope: OnBlock, meta: `{"retry": null}`},
		{name: "retry full", scope: OnNode, meta: `{"retry": {"max_attempts": 3, "backoff": "200ms", "multiplier": 1.5, "max_backoff": "30s"}}`,
			want: Extensions{Retry: &Retry{MaxAttempts: 3, Backoff: 200 * time.Millisecond, Multiplier: 1.5, MaxBackoff: 30 * time.Second}}},
		{name: "retry bad values", scope: OnNode, meta: `{"retry": {"max_attempts": 0, "backoff": "soon", "multiplier": 0.5, "max_backoff": "-1s"}}`,
			errs: []string{"m.retry.backoff: want a duration ≥ 0", "m.retry.max_attempts: want an integer from 1 to 1000, got 0", "m.retry.max_backoff: want a duration", "m.retry.multiplier: want a number from 1 to 100, got 0.5"}},
		{name: "retry unknown key", scope: OnNode, meta: `{"retry": {"attempts": 3}}`,
			errs: []string{`m.retry.attempts: unknown key "attempts"`}},
		{name: "retry not an object", scope: OnNode, meta: `{"retry": 3}`, errs: []string{"m.retry: must be an object with max_attempts"}},
		{name: "timer wait", scope: OnBlock, meta: `{"timer": {"wait": "48h"}}`, want: Extensions{Timer: &Timer{Wait: 48 * time.Hour}}},
		{name: "timer wait zero", scope: OnNode, meta: `{"timer": {"wait": "0s"}}`, want: Extensions{Timer: &Timer{}}},
		{name: "timer until", scope: OnNode, meta: `{"timer": {"until": "2026-07-01T09:00:00Z"}}`, want: Extensions{Timer: &Timer{Until: until}}},
		{name: "timer until with offset", scope: OnNode, meta: `{"timer": {"until": "2026-07-01T11:00:00+02:00"}}`,
			want: Extensions{Timer: &Timer{Until: until.In(time.FixedZone("", 2*3600))}}},
		{name: "timer until not RFC 3339", scope: OnNode, meta: `{"timer": {"until": "2026-07-01 09:00"}}`,
			errs: []string{`m.timer.until: want an RFC 3339 time such as "2026-07-01T09:00:00Z", got "2026-07-01 09:00"`}},
		{name: "timer both", scope: OnNode, meta: `{"timer": {"wait": "1h", "until": "2026-07-01T09:00:00Z"}}`,
			errs: []string{"m.timer: set wait or until, not both"}},
		{name: "timer neither", scope: OnNode, meta: `{"timer": {}}`, errs: []string{"m.timer: needs wait"}},
		{name: "timer bad wait", scope: OnNode, meta: `{"timer": {"wait": "two days"}}`, errs: []string{`m.timer.wait: want a duration ≥ 0`}},
		{name: "timer unknown key", scope: OnNode, meta: `{"timer": {"wait": "1h", "at": "noon"}}`,
			errs: []string{`m.timer.at: unknown key "at" (known: wait, until)`}},
		{name: "signal named", scope: OnBlock, meta: `{"signal": {"name": "deployed"}}`, want: Extensions{Signal: &Signal{Name: "deployed"}}},
		{name: "signal default name", scope: OnNode, meta: `{"signal": {}}`, want: Extensions{Signal: &Signal{}}},
		{name: "signal null", scope: OnNode, meta: `{"signal": null}`, want: Extensions{Signal: &Signal{}}},
		{name: "signal empty name", scope: OnNode, meta: `{"signal": {"name": ""}}`, errs: []string{`m.signal.name: want a non-empty string, got ""`}},
		{name: "signal unknown key", scope: OnNode, meta: `{"signal": {"nam": "x"}}`, errs: []string{`m.signal.nam: unknown key "nam" (known: name); did you mean "name"?`}},
		{name: "several problems reported together", scope: OnNode, meta: `{"max_iterations": -1, "timeout": "x", "signal": []}`,
			errs: []string{"m.max_iterations:", "m.timeout:", "m.signal: must be an object with name; got a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExtensions(meta(t, tt.meta), tt.scope, "m")
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v is not an ErrorList", err)
			}
			if len(list) != len(tt.errs) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(tt.errs), err)
			}
			for i, want := range tt.errs {
				if got := list[i].Error(); !strings.Contains(got, want) {
					t.Errorf("error %d = %q, want it to contain %q", i, got, want)
				}
			}
		})
	}
}

func TestEffectiveExtensions(t *testing.T) {
	blockRetry := &Retry{MaxAttempts: 2}
	nodeRetry := &Retry{MaxAttempts: 5}
	tests := []struct {
		name              string
		flow, block, node Extensions
		want              Extensions
	}{
		{name: "nothing set gives the default bound", want: Extensions{MaxIterations: DefaultMaxIterations}},
		{name: "flow bound applies", flow: Extensions{MaxIterations: 3}, want: Extensions{MaxIterations: 3}},
		{name: "node bound beats flow", flow: Extensions{MaxIterations: 3}, node: Extensions{MaxIterations: 7}, want: Extensions{MaxIterations: 7}},
		{name: "block values apply",
			block: Extensions{Timeout: time.Minute, Retry: blockRetry, Signal: &Signal{Name: "b"}},
			want:  Extensions{MaxIterations: DefaultMaxIterations, Timeout: time.Minute, Retry: blockRetry, Signal: &Signal{Name: "b"}}},
		{name: "node replaces block whole",
			block: Extensions{Timeout: time.Minute, Retry: blockRetry, Timer: &Timer{Wait: time.Hour}, Signal: &Signal{Name: "b"}},
			node:  Extensions{Timeout: time.Second, Retry: nodeRetry, Timer: &Timer{Wait: time.Second}, Signal: &Signal{}},
			want:  Extensions{MaxIterations: DefaultMaxIterations, Timeout: time.Second, Retry: nodeRetry, Timer: &Timer{Wait: time.Second}, Signal: &Signal{}}},
		{name: "for_each is the node's",
			block: Extensions{ForEach: &ForEach{Items: "ignored", As: "x"}},
			node:  Extensions{ForEach: &ForEach{Items: "inputs.l", As: "y"}},
			want:  Extensions{MaxIterations: DefaultMaxIterations, ForEach: &ForEach{Items: "inputs.l", As: "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectiveExtensions(tt.flow, tt.block, tt.node); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	r := Retry{MaxAttempts: 5, Backoff: 100 * time.Millisecond, Multiplier: 3, MaxBackoff: time.Second}
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 300 * time.Millisecond, 3: 900 * time.Millisecond, 4: time.Second} {
		if got := r.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestTimerDue(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := start.Add(72 * time.Hour)
	if got := (Timer{Wait: time.Hour}).Due(start); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("wait timer due %v", got)
	}
	if got := (Timer{Until: until}).Due(start); !got.Equal(until) {
		t.Errorf("until timer due %v", got)
	}
}

// FuzzParseExtensions parses arbitrary JSON metadata in every scope: no
// panic; every error is located under the metadata's path; whatever parses
// keeps the documented bounds. The seed corpus is testdata/fuzz/FuzzParseExtensions.
func FuzzParseExtensions(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Metadata
		if json.Unmarshal(data, &m) != nil {
			return
		}
		for _, scope := range []ExtensionScope{OnFlow, OnBlock, OnNode} {
			ext, err := ParseExtensions(m, scope, "nodes[0].metadata")
			checkExtensions(t, ext, err)
		}
	})
}

func checkExtensions(t *testing.T, ext Extensions, err error) {
	if err != nil {
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
		}
		for _, e := range list {
			if !strings.HasPrefix(e.Path, "nodes[0].metadata.") || e.Message == "" {
				t.Fatalf("error not located under the metadata: %+v", e)
			}
		}
	}
	if ext.MaxIterations < 0 || ext.MaxIterations > MaxIterationsLimit {
		t.Fatalf("max_iterations %d out of bounds", ext.MaxIterations)
	}
	if fe := ext.ForEach; fe != nil && (strings.TrimSpace(fe.Items) == "" || strings.TrimSpace(fe.As) == "" || fe.MaxConcurrency < 0) {
		t.Fatalf("for_each accepted with bad values: %+v", fe)
	}
	if ext.Timeout < 0 {
		t.Fatalf("negative timeout %v", ext.Timeout)
	}
	if r := ext.Retry; r != nil && (r.MaxAttempts < 1 || r.Multiplier < 1 || r.Backoff < 0 || r.MaxBackoff < 0) {
		t.Fatalf("retry accepted with bad values: %+v", r)
	}
	if tm := ext.Timer; tm != nil && (tm.Wait < 0 || (tm.Wait != 0 && !tm.Until.IsZero())) {
		t.Fatalf("timer accepted with bad values: %+v", tm)
	}
}

func TestNodeExtensions(t *testing.T) {
	b := &WorkBlock{Name: "Wait", Version: 1, Metadata: meta(t, `{"timer": {"wait": "1h"}, "timeout": "bad"}`)}
	f := &Flow{Name: "F", Version: 2, Metadata: meta(t, `{"max_iterations": 4}`),
		Nodes: []NodeReference{{}, {Metadata: meta(t, `{"timer": {"wait": "5m"}, "for_each": {"items": "inputs.l"}}`)}}}
	ext, err := NodeExtensions(f, 1, b)
	want := []string{
		`block "Wait" v1: metadata.timeout: want a duration`,
		`flow "F" v2: nodes[1].metadata.for_each.as: is required`,
	}
	list := ErrorList{}
	if !errors.As(err, &list) || len(list) != len(want) {
		t.Fatalf("got errors %v, want %d", err, len(want))
	}
	for i, w := range want {
		if !strings.Contains(list[i].Error(), w) {
			t.Errorf("error %d = %q, want %q", i, list[i].Error(), w)
		}
	}
	if ext.MaxIterations != 4 || ext.Timer == nil || ext.Timer.Wait != 5*time.Minute {
		t.Fatalf("effective extensions %+v: want the flow's bound and the node's timer", ext)
	}
	if _, err := NodeExtensions(&Flow{Nodes: []NodeReference{{}}}, 0, &WorkBlock{}); err != nil {
		t.Fatalf("no metadata: %v", err)
	}
}
