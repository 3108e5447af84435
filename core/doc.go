// Package core holds the openoma definition model: WorkBlocks, Flows and
// Contracts with their value objects, exactly as the specification's §2 field
// tables describe them, plus their canonical JSON form, the YAML authoring
// form and a Catalog that keeps every version of every entity.
//
// core knows nothing of execution. Entities are plain values: a new version is
// made with the Next* helpers, which keep the id and increment the version;
// the old value is untouched, so in-flight executions keep the definition they
// pinned.
//
// # Reading definitions
//
// Load reads files and directories of .yaml, .yml and .json documents into
// a Catalog; LoadFiles does the same for documents in memory, and
// DecodeDocument decodes one document on its own. Decoding is strict
// (unknown fields are errors) and reports every problem as an ErrorList of
// *FieldError naming file, line, entity and field path. Documents in the
// layout of Python openoma 0.1.0's model_dump(mode="json") load unchanged;
// people writing YAML may leave ids out (they are derived with DeriveID,
// DeriveNodeID and DeriveOutcomeID), refer to entities as "Name@version"
// and to nodes by alias. docs/definitions.md is the reference.
//
// Loading runs in two phases: every file is decoded and given its ids, then
// references by name are resolved across all of them, so a flow may use a
// block from another file. Invariants beyond decoding (§8) belong to the
// validate package.
//
// # Metadata extensions
//
// Loops, per-item work, deadlines, retries, timers and signals live in the
// spec's metadata dicts, so documents stay loadable by Python openoma:
// max_iterations, for_each, timeout, retry, timer and signal
// (MetaMaxIterations … MetaSignal), and the built-in hints HintTimer and
// HintSignal. ParseExtensions gives the typed reading of one dict, with
// every problem located at its field path; EffectiveExtensions applies the
// rule that a node's key replaces its block's, and its max_iterations the
// flow's (DefaultMaxIterations when neither is set); NodeExtensions does
// both for one node of a flow. Decoding leaves metadata free-form: these
// are checked by the validate package and read by the engine.
//
// # Writing definitions
//
// EncodeJSON writes entities in the canonical layout, which decodes back to
// identical values.
package core
