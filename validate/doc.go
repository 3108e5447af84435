// Package validate checks openoma definitions against the specification's
// invariants (§8) that concern definitions, and against the references a
// catalog must resolve, before anything runs.
//
// # What is checked
//
//   - Invariant 1, assessment terminal constraint: a flow named by an
//     AssessmentBinding has exactly one terminal node.
//   - Invariant 2, version pinning: every entity's version is 1 or more, and
//     every reference (node → block, contract → flow or sub-contract,
//     binding → assessment and test flows) pins a version of 1 or more.
//   - Invariant 3, no circular sub-contract inclusion, directly or
//     transitively.
//   - Invariant 4, NodeReference uniqueness within a flow.
//   - Invariant 5, edge validity: every edge's source and target name a node
//     of the same flow (an entry edge has no source).
//   - Invariant 9, port mapping validity: a mapping's source port is an
//     output of the source node's block, its target port an input of the
//     target node's block.
//
// and beyond the spec, what a catalog needs to be usable: every pinned
// (id, version) exists; every AssessmentBinding names a RequiredOutcome of
// its own contract; names are present; port names, node aliases, outcome
// ids and names and reference aliases are unique where they are used to
// refer to things; a condition has a description or a predicate, and a
// predicate is {"cel": "<expression>"} that type-checks to a bool against
// what its edge can read — the flow's run inputs and the source block's
// output ports, typed from their JSON schemas — so a misspelt port, an
// operator with no overload or a non-bool result is reported here, not at
// run time (see condition.Compiler.Check).
//
// The metadata extensions (core.ParseExtensions) are checked too:
// max_iterations, for_each (its expression must give a list, its "as" must
// name an input port of the node's block), timeout, retry, timer and
// signal, each where it may appear, with unknown keys refused; and the
// built-in hints: openoma.timer and openoma.signal stand alone among a
// block's hints, a timer block has a timer, a signal block a name (its
// own or the node's alias). docs/definitions.md lists every rule.
//
// [Runnable] is separate: it rejects flows the host cannot run — flows
// without an entry edge, nodes no entry edge reaches, and cycles with no
// condition on any edge (cycles are loops, and such a loop can only end at
// its iteration limit, in failure). [Catalog] applies it when asked with
// [RequireRunnable].
//
// # Errors
//
// Validation never stops at the first problem. Every function returns nil
// or a [core.ErrorList] of *[core.FieldError], each naming the file (when
// known), the entity, the field path inside it and what is wrong:
//
//	flows/sprint.yaml:12: flow "Engineering Sprint Cycle" v1: edges[3].port_mappings[0].source_port: "pr_link" is not an output of block "Implementation" v1 (has: pull_request_url)
//
// [Errors] recovers the list from a returned error, so programs can inspect
// Path, Entity and Message instead of parsing text.
//
// # Cost
//
// Every check is linear in the size of what it checks: nodes, edges and
// ports are indexed in maps once, so a flow of 100,000 nodes and 200,000
// edges validates in a fraction of a second (see docs/benchmarks.md).
package validate
