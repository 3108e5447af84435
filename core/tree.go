package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Documents are first parsed into a small format-neutral tree that remembers
// the line of every value. Both JSON and YAML become this tree, so one strict
// decoder (decode.go) serves both formats and can report every problem with
// its line, instead of stopping at the first one as encoding/json would.

type valueKind int

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
	kindList
	kindMap
)

func (k valueKind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "a list", "an object"}[k]
}

// value is one parsed JSON or YAML value.
type value struct {
	kind valueKind
	line int
	str  string  // string value, or the literal text of any scalar
	num  float64 // number value
	bool bool    // boolean value
	// plain marks an unquoted YAML scalar: its literal text may stand for a
	// string (a name like 2024 or 1.0 need not be quoted).
	plain  bool
	items  []*value
	fields []field
}

type field struct {
	key  string
	line int
	val  *value
}

// get returns the value of the field named key, or nil.
func (v *value) get(key string) *value {
	for i := range v.fields {
		if v.fields[i].key == key {
			return v.fields[i].val
		}
	}
	return nil
}

// plainValue converts v to the Go values encoding/json produces for an
// `any`: map[string]any, []any, string, float64, bool and nil.
func (v *value) plainValue() any {
	switch v.kind {
	case kindBool:
		return v.bool
	case kindNumber:
		return v.num
	case kindString:
		return v.str
	case kindList:
		out := make([]any, len(v.items))
		for i, it := range v.items {
			out[i] = it.plainValue()
		}
		return out
	case kindMap:
		out := make(map[string]any, len(v.fields))
		for _, f := range v.fields {
			out[f.key] = f.val.plainValue()
		}
		return out
	default:
		return nil
	}
}

// Limits that keep hostile input from exhausting the stack or memory. The
// number of values is otherwise bounded by the size of the input, except
// where YAML aliases repeat a subtree ("billion laughs").
const (
	maxDepth       = 1000    // nesting of lists and objects
	maxAliasValues = 100_000 // values copied by expanding YAML aliases, per file
)

// syntaxError is a malformed document; line is 0 when unknown.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return e.msg }

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offsets at which lines start

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) line(offset int64) int {
	return sort.Search(len(idx), func(i int) bool { return int64(idx[i]) > offset })
}

// parseJSON parses data, which must hold exactly one JSON value.
func parseJSON(data []byte) (*value, error) {
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: newLineIndex(data)}
	p.dec.UseNumber()
	v, err := p.parse(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, &syntaxError{line: p.lines.line(p.start()), msg: "unexpected data after the JSON value"}
	}
	return v, nil
}

type jsonParser struct {
	data  []byte
	dec   *json.Decoder
	lines lineIndex
}

// start returns the offset of the next token: the decoder's offset points
// after the previous one, before any separator and white space.
func (p *jsonParser) start() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) token() (json.Token, int, error) {
	line := p.lines.line(p.start())
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, 0, &syntaxError{line: p.lines.line(se.Offset), msg: "malformed JSON: " + se.Error()}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, 0, &syntaxError{line: len(p.lines), msg: "malformed JSON: unexpected end of input"}
		default:
			return nil, 0, &syntaxError{line: line, msg: "malformed JSON: " + err.Error()}
		}
	}
	return tok, line, nil
}

func (p *jsonParser) parse(depth int) (*value, error) {
	tok, line, err := p.token()
	if err != nil {
		return nil, err
	}
	v := &value{line: line}
	switch t := tok.(type) {
	case nil:
		v.kind = kindNull
	case bool:
		v.kind, v.bool = kindBool, t
	case string:
		v.kind, v.str = kindString, t
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, &syntaxError{line: line, msg: fmt.Sprintf("number %s is out of range", t)}
		}
		v.kind, v.num, v.str = kindNumber, f, string(t)
	case json.Delim:
		if depth >= maxDepth {
			return nil, &syntaxError{line: line, msg: fmt.Sprintf("nested more than %d levels deep", maxDepth)}
		}
		if t == '[' {
			return p.parseList(v, depth)
		}
		return p.parseObject(v, depth)
	}
	return v, nil
}

func (p *jsonParser) parseList(v *value, depth int) (*value, error) {
	v.kind = kindList
	v.items = []*value{}
	for p.dec.More() {
		item, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		v.items = append(v.items, item)
	}
	_, _, err := p.token() // ']'
	return v, err
}

func (p *jsonParser) parseObject(v *value, depth int) (*value, error) {
	v.kind = kindMap
	v.fields = []field{}
	seen := map[string]int{}
	for p.dec.More() {
		tok, line, err := p.token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // the decoder guarantees object keys are strings
		if first, dup := seen[key]; dup {
			return nil, &syntaxError{line: line, msg: fmt.Sprintf("key %q appears twice in one object (first on line %d)", key, first)}
		}
		seen[key] = line
		val, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		v.fields = append(v.fields, field{key: key, line: line, val: val})
	}
	_, _, err := p.token() // '}'
	return v, err
}

// parseYAML parses every document of a YAML stream; empty documents are
// left out.
func parseYAML(data []byte) (docs []*value, err error) {
	// yaml.v3 reports malformed input by panicking internally and recovering;
	// a parser bug that escapes it must still be an error for our caller,
	// never a crash of the host that loads a definition.
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, &syntaxError{msg: fmt.Sprintf("malformed YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	c := &yamlConverter{}
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, yamlSyntaxError(err)
		}
		v, err := c.convert(&n, 0)
		if err != nil {
			return nil, err
		}
		if v != nil && v.kind != kindNull {
			docs = append(docs, v)
		}
	}
}

var yamlLinePattern = regexp.MustCompile(`line (\d+)`)

func yamlSyntaxError(err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &syntaxError{line: line, msg: "malformed YAML: " + msg}
}

type yamlConverter struct {
	aliasDepth  int // > 0 while inside an alias's expansion
	aliasLine   int // line of the outermost alias being expanded
	aliasValues int
}

func (c *yamlConverter) fail(n *yaml.Node, format string, args ...any) error {
	return &syntaxError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

func (c *yamlConverter) convert(n *yaml.Node, depth int) (*value, error) {
	if c.aliasDepth > 0 {
		if c.aliasValues++; c.aliasValues > maxAliasValues {
			return nil, &syntaxError{line: c.aliasLine, msg: fmt.Sprintf("aliases expand to more than %d values", maxAliasValues)}
		}
	}
	if depth > maxDepth {
		return nil, c.fail(n, "nested more than %d levels deep", maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.fail(n, "alias *%s refers to nothing", n.Value)
		}
		if c.aliasDepth == 0 {
			c.aliasLine = n.Line
		}
		c.aliasDepth++
		v, err := c.convert(n.Alias, depth+1)
		c.aliasDepth--
		if v != nil {
			cp := *v
			cp.line = n.Line
			v = &cp
		}
		return v, err
	case yaml.SequenceNode:
		v := &value{kind: kindList, line: n.Line, items: make([]*value, 0, len(n.Content))}
		for _, item := range n.Content {
			iv, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, iv)
		}
		return v, nil
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.fail(n, "unsupported YAML node")
}

func (c *yamlConverter) mapping(n *yaml.Node, depth int) (*value, error) {
	v := &value{kind: kindMap, line: n.Line, fields: make([]field, 0, len(n.Content)/2)}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.fail(k, "a mapping key must be a plain value, not a list or mapping")
		}
		if k.ShortTag() == "!!merge" {
			return nil, c.fail(k, "merge keys (<<) are not supported; write the fields out")
		}
		if !utf8.ValidString(k.Value) {
			return nil, c.fail(k, "key is not valid UTF-8")
		}
		if first, dup := seen[k.Value]; dup {
			return nil, c.fail(k, "key %q appears twice in one mapping (first on line %d)", k.Value, first)
		}
		seen[k.Value] = k.Line
		fv, err := c.convert(val, depth+1)
		if err != nil {
			return nil, err
		}
		v.fields = append(v.fields, field{key: k.Value, line: k.Line, val: fv})
	}
	return v, nil
}

func (c *yamlConverter) scalar(n *yaml.Node) (*value, error) {
	if !utf8.ValidString(n.Value) {
		return nil, c.fail(n, "value is not valid UTF-8")
	}
	v := &value{line: n.Line, str: n.Value, plain: n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0}
	switch tag := n.ShortTag(); tag {
	case "!!null":
		v.kind = kindNull
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.fail(n, "%q is not a boolean", n.Value)
		}
		v.kind, v.bool = kindBool, b
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, c.fail(n, "%q is not a finite number (JSON has no infinity or NaN)", n.Value)
		}
		v.kind, v.num = kindNumber, f
	case "!!str", "!!timestamp":
		// A timestamp stays the text it was written as: JSON has no dates.
		v.kind = kindString
	default:
		return nil, c.fail(n, "unsupported YAML tag %s", tag)
	}
	return v, nil
}
