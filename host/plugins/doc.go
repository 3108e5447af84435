// Package plugins is the host's plugin manager. It launches adapter plugins
// as subprocesses with HashiCorp go-plugin (gRPC, AutoMTLS), verifies an
// optional sha256 of each binary before it runs, checks with Describe that a
// plugin serves the hints routed to it, forwards the plugin's log into the
// host log under the plugin's name, notices at once when a plugin process
// exits, restarts it with exponential backoff and tells the engine so it
// can resume the plugin's open blocks. Close stops every plugin; no process
// outlives the host (Linux parent-death signal, and the SDK's own watch of
// its parent).
package plugins
