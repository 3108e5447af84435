package execution

// MetadataPluginInstance is the ExecutorInfo metadata key naming the plugin
// process that recorded an event: the host stamps it, with the id it gave
// that launch of the plugin, on every event a plugin appends through the
// store the host brokers to it. It is how the host tells, after a plugin
// crash, the blocks the dead process held (released and resumed) from
// those a newer process of the same plugin already holds (left alone).
// Being metadata, it leaves the JSON form of ExecutorInfo unchanged.
const MetadataPluginInstance = "plugin_instance"

// PluginInstance returns the plugin process that recorded events with this
// executor (see MetadataPluginInstance), or "" when a plugin did not record
// them (the host, a person acting through the host, an older log).
func (x *ExecutorInfo) PluginInstance() string {
	if x == nil {
		return ""
	}
	id, _ := x.Metadata[MetadataPluginInstance].(string)
	return id
}

// WithPluginInstance returns a copy of x stamped with a plugin process's
// id. The copy has its own metadata map, so x is never changed.
func (x ExecutorInfo) WithPluginInstance(id string) ExecutorInfo {
	md := make(map[string]any, len(x.Metadata)+1)
	for k, v := range x.Metadata {
		md[k] = v
	}
	md[MetadataPluginInstance] = id
	x.Metadata = md
	return x
}
