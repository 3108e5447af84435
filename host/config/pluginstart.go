package config

// When the daemon launches a plugin: plugins[].start.
const (
	// PluginStartAtStart (the default, also when the key is empty): serve
	// launches the plugin as it starts and checks with Describe that it
	// serves the hints routed to it, so a broken plugin is reported at
	// once rather than when its first block fails.
	PluginStartAtStart = "at_start"
	// PluginStartOnFirstUse: the plugin is launched when a block or
	// condition first needs it (a plugin that is costly to keep running
	// and rarely used).
	PluginStartOnFirstUse = "on_first_use"
)

// validPluginStart reports whether s is a value plugins[].start accepts.
func validPluginStart(s string) bool {
	return s == "" || s == PluginStartAtStart || s == PluginStartOnFirstUse
}
