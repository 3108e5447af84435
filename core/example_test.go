package core_test

import (
	"fmt"

	"github.com/openoma/openoma/core"
)

const sprintYAML = `
kind: work_block
name: Implementation
inputs: [{name: task}]
outputs: [{name: pull_request_url}]
execution_hints: [agent]
metadata: {retry: {max_attempts: 3, backoff: 30s}}
---
kind: work_block
name: Code Review
inputs: [{name: pull_request_url}]
outputs: [{name: verdict, schema: {type: string}}]
execution_hints: [agent]
---
kind: flow
name: Sprint
metadata: {max_iterations: 10}
nodes:
  - {alias: implement, block: Implementation@1, metadata: {timeout: 4h}}
  - {alias: review, block: Code Review@1}
edges:
  - to: implement
  - from: implement
    to: review
  - from: review
    to: implement
    condition:
      description: changes requested
      predicate: {cel: 'outputs.verdict == "changes_requested"'}
`

// Load definitions written in YAML: ids are derived from the names, so
// loading the same files again gives the same ids.
func ExampleLoadFiles() {
	cat, err := core.LoadFiles(core.File{Name: "sprint.yaml", Data: []byte(sprintYAML)})
	if err != nil {
		fmt.Println(err)
		return
	}
	flow, err := cat.LookupFlow("Sprint@1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(flow.Describe(), "has", len(flow.Nodes), "nodes and", len(flow.Edges), "edges")
	fmt.Println("id derived from the name:", flow.ID == core.DeriveID(core.KindFlow, "Sprint"))
	blocks, flows, contracts := cat.Counts()
	fmt.Println(blocks, "blocks,", flows, "flow,", contracts, "contracts")
	// Output:
	// flow "Sprint" v1 has 2 nodes and 3 edges
	// id derived from the name: true
	// 2 blocks, 1 flow, 0 contracts
}

// Every problem is reported, each with its file, line, entity and field.
func ExampleLoadFiles_errors() {
	_, err := core.LoadFiles(core.File{Name: "bad.yaml", Data: []byte(`
kind: flow
name: Sprint
nodes:
  - {alias: implement, block: Implementation}
edges:
  - {to: implemnt}
`)})
	fmt.Println(err)
	// Output:
	// bad.yaml:5: flow "Sprint" v1: nodes[0].block: "Implementation" does not pin a version: write "Implementation@<version>" (every reference pins a version)
	// bad.yaml:7: flow "Sprint" v1: edges[0].to: no node with alias "implemnt" in this flow (aliases: implement)
}

// NodeExtensions gives the extensions in effect for one node: its own
// metadata over its block's, and the flow's max_iterations as the default.
func ExampleNodeExtensions() {
	cat, err := core.LoadFiles(core.File{Name: "sprint.yaml", Data: []byte(sprintYAML)})
	if err != nil {
		fmt.Println(err)
		return
	}
	flow, _ := cat.LookupFlow("Sprint@1")
	for i, n := range flow.Nodes {
		block, _ := cat.WorkBlock(n.TargetID, n.TargetVersion)
		ext, err := core.NodeExtensions(flow, i, block)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: max_iterations %d, timeout %v", n.Alias, ext.MaxIterations, ext.Timeout)
		if ext.Retry != nil {
			fmt.Printf(", %d attempts, first retry after %v", ext.Retry.MaxAttempts, ext.Retry.Delay(1))
		}
		fmt.Println()
	}
	// Output:
	// implement: max_iterations 10, timeout 4h0m0s, 3 attempts, first retry after 30s
	// review: max_iterations 10, timeout 0s
}

// ParseExtensions reads one metadata dict and locates every problem by its
// field path.
func ExampleParseExtensions() {
	meta := core.Metadata{
		"for_each": map[string]any{"items": "inputs.tickets", "as": "ticket", "max_concurency": 4.0},
		"timer":    map[string]any{"wait": "2 days"},
		"owner":    "ops", // not an extension: free-form
	}
	_, err := core.ParseExtensions(meta, core.OnNode, "nodes[1].metadata")
	fmt.Println(err)
	// Output:
	// nodes[1].metadata.for_each.max_concurency: unknown key "max_concurency" (known: items, as, max_concurrency); did you mean "max_concurrency"?
	// nodes[1].metadata.timer.wait: want a duration ≥ 0 such as "90s" or "2h30m" (units ns, us, ms, s, m, h), got "2 days"
}
