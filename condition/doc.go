// Package condition is the one place openoma defines how a structured edge
// condition is written and evaluated. Validation compiles predicates with it
// to reject bad ones before anything runs; the host and the plugin SDK
// evaluate them with it, so all three agree on the language and its
// variables.
//
// # Predicate format
//
// A Condition's predicate (spec §2.2) is an opaque map in the spec; openoma
// understands exactly one shape:
//
//	{"cel": "<expression>"}
//
// where the expression is written in the Common Expression Language
// (https://cel.dev) and must produce a boolean. Any other shape — other keys,
// extra keys, a non-string value — is an error ([ErrUnknownFormat]), never a
// silent false.
//
// # Variables
//
// An expression sees four variables, each a map from string to any value:
//
//   - inputs: the flow run's inputs (what the flow was started with).
//   - outputs: the outputs of the edge's source node (output port → value).
//     Empty on entry edges, which have no source.
//   - source: the source node and its block: "name" (block name),
//     "version" (block version, an int), "alias" (node alias, "" when none)
//     and "metadata" (block metadata overlaid by node metadata). Empty on
//     entry edges.
//   - flow: the flow being run: "name", "version" and "metadata".
//
// Reading a key that is absent is an evaluation error ("no such key"); guard
// optional values with has(), e.g.
//
//	has(outputs.verdict) && outputs.verdict == "approved"
//
// Numbers from JSON arrive as doubles; comparisons between ints and doubles
// are allowed (3 < 3.5 is true). The string extension functions of
// cel-go's ext.Strings (lowerAscii, split, contains, …) are available.
//
// # Limits
//
// Compilation rejects expressions whose static type is not bool (a
// dynamically typed result, such as outputs.approved, is accepted and
// checked when evaluated). Parsing is bounded in size and depth, and every
// evaluation runs under a cost limit and honours its context's cancellation,
// so a pathological expression cannot hang the host.
//
// # Checking against declared ports
//
// [Compiler.Check] type-checks an expression without planning it, against
// [Declarations] of the ports it may read: the flow's run inputs and the
// source block's outputs, typed from their JSON schemas ("number" and
// "integer" as double, since JSON numbers arrive as doubles). A port that
// is not declared is an error ([ErrUnknownPort]), even in has(); so is an
// operator with no overload for the declared types, and a result that is
// not a bool ([WantBool]) or a list ([WantList], for_each items). Equality
// between a double port and an int literal (outputs.amount == 3) is
// accepted, as evaluation accepts it. Validation runs Check on every
// predicate; the host and the sdk compile and evaluate as before.
//
// # Use
//
// See the examples: [Compiler.Compile] then [Program.Eval] for each
// decision; [Compiler.Check] to validate.
//
// A [Compiler] caches compiled programs by expression and is safe for
// concurrent use; a [Program] is immutable and safe for concurrent use.
package condition
