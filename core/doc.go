// Package core holds the openoma definition model: WorkBlocks, Flows and
// Contracts with their value objects, exactly as the specification's §2 field
// tables describe them, plus their canonical JSON form, the YAML authoring
// form and a Catalog that keeps every version of every entity.
//
// core knows nothing of execution. Entities are plain values: a new version is
// made with the Next* helpers, which keep the id and increment the version;
// the old value is untouched, so in-flight executions keep the definition they
// pinned.
package core
