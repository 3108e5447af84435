package llmstub

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/openoma/openoma/core"
)

// TemplateOutputs is the stub's answer when no fixture names a port: for
// each declared output port a value derived only from the block's name,
// the port and the inputs, so the same question always gets the same
// answer. The port's JSON schema picks the shape:
//
//   - const or enum: the constant, or the first allowed value;
//   - boolean: true (the stub agrees; fixtures and rules say no);
//   - integer, number: a number derived from the hash, within minimum and
//     maximum when the schema gives them (0–99 otherwise);
//   - string: a sentence naming the block, the port and the inputs — or a
//     URL under https://llm-stub.invalid/ for format "uri" and ports whose
//     name ends in "url";
//   - object: each declared property, recursively ({"text": …} without any);
//   - array: one item of the items schema;
//   - null: null; a list of types: the first that is not null;
//   - no schema: a string as above.
func TemplateOutputs(block core.WorkBlock, inputs map[string]any) map[string]any {
	out := make(map[string]any, len(block.Outputs))
	summary := summarise(inputs)
	for _, port := range block.Outputs {
		g := generator{block: block.Name, summary: summary, seed: seed(block.Name, port.Name, inputs)}
		out[port.Name] = g.value(port.Name, port.Description, port.Schema)
	}
	return out
}

type generator struct {
	block   string
	summary string
	seed    uint64
}

func (g generator) value(name, description string, schema map[string]any) any {
	if v, ok := schema["const"]; ok {
		return v
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	switch schemaType(schema) {
	case "boolean":
		return true
	case "integer":
		lo, hi := bounds(schema, 0, 99)
		lo, hi = math.Ceil(lo), math.Floor(hi)
		if hi < lo {
			return lo
		}
		return lo + float64(g.seed%uint64(hi-lo+1))
	case "number":
		lo, hi := bounds(schema, 0, 99.99)
		steps := uint64((hi-lo)*100) + 1
		return lo + float64(g.seed%steps)/100
	case "object":
		props, _ := schema["properties"].(map[string]any)
		if len(props) == 0 {
			return map[string]any{"text": g.text(name, description)}
		}
		obj := map[string]any{}
		for _, p := range slices.Sorted(maps.Keys(props)) {
			sub, _ := props[p].(map[string]any)
			child := g
			child.seed = mix(g.seed, p)
			obj[p] = child.value(p, "", sub)
		}
		return obj
	case "array":
		items, _ := schema["items"].(map[string]any)
		child := g
		child.seed = mix(g.seed, "0")
		return []any{child.value(name, description, items)}
	case "null":
		return nil
	}
	if schema["format"] == "uri" || schema["format"] == "url" || strings.HasSuffix(strings.ToLower(name), "url") {
		return fmt.Sprintf("https://llm-stub.invalid/%s/%s/%08x", slug(g.block), slug(name), uint32(g.seed))
	}
	return g.text(name, description)
}

func (g generator) text(name, description string) string {
	s := fmt.Sprintf("[llm-stub] %s: %s", g.block, name)
	if description != "" {
		s += " (" + strings.TrimSuffix(strings.TrimSpace(description), ".") + ")"
	}
	if g.summary != "" {
		s += " for " + g.summary
	}
	return s
}

// schemaType returns the schema's type, the first non-null one of a list.
func schemaType(schema map[string]any) string {
	switch t := schema["type"].(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				return s
			}
		}
		if len(t) > 0 {
			return "null"
		}
	}
	if _, ok := schema["properties"]; ok {
		return "object"
	}
	return ""
}

func bounds(schema map[string]any, lo, hi float64) (float64, float64) {
	min, hasMin := number(schema["minimum"])
	max, hasMax := number(schema["maximum"])
	switch {
	case hasMin && hasMax:
		return min, max
	case hasMin:
		return min, min + (hi - lo)
	case hasMax:
		return max - (hi - lo), max
	}
	return lo, hi
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// seed hashes the block name, the port and the inputs (as canonical JSON:
// encoding/json sorts map keys).
func seed(block, port string, inputs map[string]any) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(block))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(port))
	_, _ = h.Write([]byte{0})
	text, _ := json.Marshal(inputs)
	_, _ = h.Write(text)
	return h.Sum64()
}

func mix(seed uint64, s string) uint64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d\x00%s", seed, s)
	return h.Sum64()
}

// summarise renders inputs as `a="x", b=2`, in name order, cut short.
func summarise(inputs map[string]any) string {
	parts := make([]string, 0, len(inputs))
	for _, k := range slices.Sorted(maps.Keys(inputs)) {
		v, _ := json.Marshal(inputs[k])
		parts = append(parts, k+"="+string(v))
	}
	s := strings.Join(parts, ", ")
	const max = 160
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
