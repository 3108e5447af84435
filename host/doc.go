// Package host assembles the openoma runtime from its parts: the catalog
// of definitions (validated on load), the Badger event store in the data
// directory, the hint router, the plugin manager and the engine. A Host is
// what `openoma-host serve` runs as a daemon and what `openoma-host run`
// embeds when no daemon is running; it also implements the control API's
// Backend.
//
// Subpackages: config (the YAML/env/flag configuration), engine (the
// scheduler, contracts and recovery), router (hint routing), plugins (the
// plugin processes), control (the control API), graph (diagrams).
package host
