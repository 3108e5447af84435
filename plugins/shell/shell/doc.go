// Package shell is the adapter of the bundled shell plugin
// (openoma-plugin-shell): it runs the command a block's `shell` metadata
// names as a child process, in a process group of its own, with the
// block's inputs in OPENOMA_INPUT_<NAME> variables and as a JSON object on
// stdin, and reads the outputs as a JSON object from stdout or from the
// file named by $OPENOMA_OUTPUTS.
//
// ParseCommand documents the metadata, commandEnv the environment, and
// ResumeBlock what resuming means. docs/plugins.md is the user's reference.
package shell
