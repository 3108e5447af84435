// Package lifecycle holds what the bundled plugins share around the sdk's
// Emitter: Run, a variant of sdk.Emitter.Run that stops at fault injection
// points (package fault) and lets the work stream progress; checks of
// inputs and outputs against a block's ports and their JSON schemas; and
// the "node metadata wins over block metadata" lookup.
package lifecycle
