package core

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoadExample loads the q3-launch example from disk: 12 YAML files,
// 27 entities.
func BenchmarkLoadExample(b *testing.B) {
	for b.Loop() {
		if _, err := Load("../examples/q3-launch"); err != nil {
			b.Fatal(err)
		}
	}
}

// chainFlowYAML writes a block and a flow of n nodes in a chain, in the
// authoring format (aliases, name@version references).
func chainFlowYAML(n int) []byte {
	var sb strings.Builder
	sb.WriteString("kind: work_block\nname: Step\ninputs: [{name: in, required: false}]\noutputs: [{name: out}]\n---\nkind: flow\nname: Chain\nnodes:\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - {alias: n%d, block: Step@1}\n", i)
	}
	sb.WriteString("edges:\n  - {to: n0}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&sb, "  - {from: n%d, to: n%d, port_mappings: [{source_port: out, target_port: in}]}\n", i-1, i)
	}
	return []byte(sb.String())
}

func BenchmarkDecodeFlow(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		yamlDoc := chainFlowYAML(n)
		entities, err := DecodeDocument("chain.yaml", yamlDoc)
		if err != nil {
			b.Fatal(err)
		}
		jsonDoc, err := EncodeJSON(entities...)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("yaml/nodes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(yamlDoc)))
			for b.Loop() {
				if _, err := DecodeDocument("chain.yaml", yamlDoc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("json/nodes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(jsonDoc)))
			for b.Loop() {
				if _, err := DecodeDocument("chain.json", jsonDoc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("encode/nodes=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := EncodeJSON(entities...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
