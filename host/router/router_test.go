package router

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

func block(name string, hints ...string) *core.WorkBlock {
	return &core.WorkBlock{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)), Version: 1, Name: name, ExecutionHints: hints}
}

func TestRoute(t *testing.T) {
	standard := Config{
		Plugins: []Plugin{
			{Name: "shell", Hints: []string{"shell", "system"}},
			{Name: "llm-stub", Hints: []string{"agent", "llm"}},
			{Name: "manual", Hints: []string{"human", "approval", "agent"}},
		},
		DefaultPlugin: "shell",
	}
	withCatchAll := Config{Plugins: append(append([]Plugin{}, standard.Plugins...), Plugin{Name: "any", Hints: []string{"*"}})}
	tests := []struct {
		name    string
		cfg     Config
		hints   []string
		want    string
		wantErr []string // substrings of the error; empty: no error
	}{
		{name: "single hint", cfg: standard, hints: []string{"shell"}, want: "shell"},
		{name: "first plugin in config order wins", cfg: standard, hints: []string{"agent"}, want: "llm-stub"},
		{name: "all hints must be served by one plugin", cfg: standard, hints: []string{"agent", "approval"}, want: "manual"},
		{name: "hints are trimmed and deduplicated", cfg: standard, hints: []string{" human ", "human"}, want: "manual"},
		{name: "no hints goes to default", cfg: standard, hints: nil, want: "shell"},
		{name: "blank hints count as none", cfg: standard, hints: []string{"  "}, want: "shell"},
		{name: "wildcard serves anything", cfg: withCatchAll, hints: []string{"robot", "agent"}, want: "any"},
		{name: "wildcard is still ordered", cfg: withCatchAll, hints: []string{"shell"}, want: "shell"},
		{
			name: "unserved hint names block, hints and plugins", cfg: standard, hints: []string{"human", "shell"},
			wantErr: []string{`block "Deploy" v1`, "[human, shell]", "shell [shell, system]", "llm-stub [agent, llm]", "manual [human, approval, agent]"},
		},
		{
			name: "case matters", cfg: standard, hints: []string{"Human"},
			wantErr: []string{"[Human]", "no plugin serves all of them"},
		},
		{
			name: "no hints and no default", cfg: Config{Plugins: standard.Plugins}, hints: nil,
			wantErr: []string{`block "Deploy" v1 has no execution hints and no default_plugin is configured`, "considered shell"},
		},
		{
			name: "no plugins at all", cfg: Config{}, hints: []string{"shell"},
			wantErr: []string{"no plugins are configured"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			got, err := r.Route(block("Deploy", tc.hints...))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Route = %q, want an error", got)
				}
				if !errors.Is(err, ErrNoRoute) {
					t.Errorf("error %v does not wrap ErrNoRoute", err)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			if got != tc.want {
				t.Errorf("Route = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{name: "empty name", cfg: Config{Plugins: []Plugin{{Name: " ", Hints: []string{"x"}}}}, wantErr: []string{"plugins[0].name: must not be empty"}},
		{name: "duplicate", cfg: Config{Plugins: []Plugin{{Name: "a"}, {Name: "a"}}}, wantErr: []string{`plugins[1].name: plugin "a" is listed twice`}},
		{name: "empty hint", cfg: Config{Plugins: []Plugin{{Name: "a", Hints: []string{"x", ""}}}}, wantErr: []string{`plugins[0].hints[1] (plugin "a")`}},
		{name: "unknown default", cfg: Config{Plugins: []Plugin{{Name: "a"}, {Name: "b"}}, DefaultPlugin: "c"}, wantErr: []string{`default_plugin: "c" is not one of the configured plugins (a, b)`}},
		{
			name:    "every problem is reported",
			cfg:     Config{Plugins: []Plugin{{Name: ""}, {Name: "a", Hints: []string{""}}}, DefaultPlugin: "z"},
			wantErr: []string{"plugins[0].name", "plugins[1].hints[0]", "default_plugin"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	cat := core.NewCatalog()
	for i, b := range []*core.WorkBlock{
		block("Build", "shell"),
		block("Review", "human"),
		block("Audit", "human", "finance"),
		block("Sign", "legal"),
	} {
		if err := cat.AddWorkBlock(*b, core.Source{File: "defs/blocks.yaml", Line: 10 * (i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(Config{Plugins: []Plugin{{Name: "shell", Hints: []string{"shell"}}, {Name: "manual", Hints: []string{"human"}}}})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Check(cat)
	var list core.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Check = %v, want a core.ErrorList", err)
	}
	if len(list) != 2 {
		t.Fatalf("Check found %d problems, want 2 (Audit, Sign): %v", len(list), err)
	}
	// WorkBlocks() orders by name: Audit, then Sign.
	want := []string{
		`defs/blocks.yaml:30: block "Audit" v1: execution_hints: has hints [human, finance]: no plugin serves all of them; considered shell [shell], manual [human]`,
		`defs/blocks.yaml:40: block "Sign" v1: execution_hints: has hints [legal]: no plugin serves all of them`,
	}
	for i, w := range want {
		if !strings.HasPrefix(list[i].Error(), w) {
			t.Errorf("problem %d = %q, want prefix %q", i, list[i].Error(), w)
		}
	}

	all, err := New(Config{Plugins: []Plugin{{Name: "any", Hints: []string{"*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := all.Check(cat); err != nil {
		t.Errorf("Check with a catch-all plugin = %v, want nil", err)
	}
}
