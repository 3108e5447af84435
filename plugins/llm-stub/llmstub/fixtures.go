package llmstub

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrBadFixtures is wrapped by every error about a fixtures file.
var ErrBadFixtures = errors.New("bad llm-stub fixtures")

// Fixtures is the content of a fixtures file (YAML, or JSON, which is
// YAML too). See docs/plugins.md for the format.
type Fixtures struct {
	// Path is the file the fixtures came from ("" when built in code).
	Path string `yaml:"-"`
	// Latency and Tokens are the defaults of every block.
	Latency    *Duration           `yaml:"latency"`
	Tokens     *int                `yaml:"tokens"`
	Blocks     map[string]CaseList `yaml:"blocks"`
	Conditions ConditionRules      `yaml:"conditions"`
}

// CaseList is a block's responses, tried in order; the first whose When
// matches answers. In a file, a single response may stand alone.
type CaseList []Case

// Case is one fixture response.
type Case struct {
	// When matches the block's inputs (as JSON); empty matches anything.
	When    Matcher        `yaml:"when"`
	Outputs map[string]any `yaml:"outputs"`
	// Fail makes the block fail instead.
	Fail    *Failure  `yaml:"fail"`
	Latency *Duration `yaml:"latency"`
	Tokens  *int      `yaml:"tokens"`
}

// Failure is a fixture's simulated failure.
type Failure struct {
	Code   string `yaml:"code"`
	Reason string `yaml:"reason"`
}

// ConditionRules decide description-only conditions.
type ConditionRules struct {
	// Default is the decision when no rule matches; true when unset.
	Default *bool  `yaml:"default"`
	Rules   []Rule `yaml:"rules"`
}

// Rule decides a condition whose description and context both match.
type Rule struct {
	Description Matcher `yaml:"description"`
	// Context matches the condition context as JSON: {"flow": …,
	// "inputs": …, "metadata": …, "outputs": …, "source": …}.
	Context Matcher `yaml:"context"`
	Value   bool    `yaml:"value"`
	Reason  string  `yaml:"reason"`
}

// Matcher matches text: Contains is a case-insensitive substring, Regex a
// Go regular expression; when both are set both must match, when neither
// is set anything matches.
type Matcher struct {
	Contains string `yaml:"contains"`
	Regex    string `yaml:"regex"`
	re       *regexp.Regexp
}

// Duration is a time.Duration written as a Go duration string ("250ms").
type Duration struct{ time.Duration }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as \"250ms\"", n.Line)
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration ≥ 0 (e.g. \"250ms\", \"2s\")", n.Line, s)
	}
	d.Duration = v
	return nil
}

// UnmarshalYAML accepts a list of cases or a single case.
func (l *CaseList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var cases []Case
		if err := n.Decode(&cases); err != nil {
			return err
		}
		*l = cases
		return nil
	}
	var c Case
	if err := n.Decode(&c); err != nil {
		return err
	}
	*l = CaseList{c}
	return nil
}

// UnmarshalYAML decodes a case strictly: yaml's KnownFields does not reach
// values decoded by a custom unmarshaler, so unknown keys are caught here.
func (c *Case) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "when", "outputs", "fail", "latency", "tokens"); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "when":
			if err := knownKeys(n.Content[i+1], "contains", "regex"); err != nil {
				return err
			}
		case "fail":
			if err := knownKeys(n.Content[i+1], "code", "reason"); err != nil {
				return err
			}
		}
	}
	type plain Case // without this method, to decode the fields
	return n.Decode((*plain)(c))
}

// knownKeys checks that a mapping node has only the given keys.
func knownKeys(n *yaml.Node, known ...string) error {
	if n.Kind != yaml.MappingNode {
		return nil // the field decoding reports the type error
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			return fmt.Errorf("line %d: field %s not found (known: %s)", k.Line, k.Value, strings.Join(known, ", "))
		}
	}
	return nil
}

// Matches reports whether text satisfies m.
func (m *Matcher) Matches(text string) bool {
	if m.Contains != "" && !strings.Contains(strings.ToLower(text), strings.ToLower(m.Contains)) {
		return false
	}
	return m.re == nil || m.re.MatchString(text)
}

// LoadFixtures reads and checks a fixtures file. Errors wrap
// ErrBadFixtures and name the file and the offending entry.
func LoadFixtures(path string) (*Fixtures, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFixtures, err)
	}
	return ParseFixtures(path, data)
}

// ParseFixtures parses fixtures read from path.
func ParseFixtures(path string, data []byte) (*Fixtures, error) {
	f := &Fixtures{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty file holds no fixtures (io.EOF), which is fine.
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFixtures, path, err)
	}
	f.Path = path
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFixtures, path, err)
	}
	return f, nil
}

// check compiles the regular expressions and checks values ranges.
func (f *Fixtures) check() error {
	var errs []error
	if f.Tokens != nil && *f.Tokens < 0 {
		errs = append(errs, fmt.Errorf("tokens: %d is negative", *f.Tokens))
	}
	for name, cases := range f.Blocks {
		for i := range cases {
			at := fmt.Sprintf("blocks[%q][%d]", name, i)
			c := &cases[i]
			if err := c.When.compile(); err != nil {
				errs = append(errs, fmt.Errorf("%s.when.regex: %w", at, err))
			}
			if c.Fail != nil && strings.TrimSpace(c.Fail.Reason) == "" {
				errs = append(errs, fmt.Errorf("%s.fail.reason: a simulated failure needs a reason", at))
			}
			if c.Fail != nil && c.Outputs != nil {
				errs = append(errs, fmt.Errorf("%s: give outputs or fail, not both", at))
			}
			if c.Tokens != nil && *c.Tokens < 0 {
				errs = append(errs, fmt.Errorf("%s.tokens: %d is negative", at, *c.Tokens))
			}
		}
	}
	for i := range f.Conditions.Rules {
		r := &f.Conditions.Rules[i]
		if err := r.Description.compile(); err != nil {
			errs = append(errs, fmt.Errorf("conditions.rules[%d].description.regex: %w", i, err))
		}
		if err := r.Context.compile(); err != nil {
			errs = append(errs, fmt.Errorf("conditions.rules[%d].context.regex: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (m *Matcher) compile() error {
	if m.Regex == "" {
		return nil
	}
	re, err := regexp.Compile(m.Regex)
	if err != nil {
		return err
	}
	m.re = re
	return nil
}
