// Package llmstub is the adapter of the bundled llm-stub plugin
// (openoma-plugin-llm-stub): a deterministic stand-in for an LLM agent, so
// flows with natural-language blocks and conditions can be developed and
// tested offline.
//
// The adapter asks a Model. The bundled Stub answers a block from the
// fixtures file (by block name, first matching case) and fills every
// output port a fixture does not name with TemplateOutputs, a value
// derived from the block, the port and the inputs, shaped by the port's
// JSON schema. It decides description-only conditions by rules (keyword
// or regular expression on the description and on the condition context)
// with a configurable default (true). It simulates latency and streams
// "thinking… token n/N" progress events. A real provider can replace the
// Stub by implementing Model.
//
// Resume asks the model again; being deterministic, it answers the same.
// docs/plugins.md is the user's reference.
package llmstub
