package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/eventlabel"
)

func newLogsCommand(g *globals) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs EXECUTION",
		Short: "Print the output a block streamed while it ran (its progress events)",
		Long: `logs prints what a block execution reported while it ran: the stderr lines a
shell command streamed, the text an agent produced, one line per line. For a
flow or contract execution it prints the output of every block beneath it,
each line prefixed with the block's node alias. --follow keeps printing
until the execution ends. Progress events without text (e.g. the shell
plugin's command_started) are shown as [type] lines; --json prints each
progress event as JSON instead.`,
		Example: `  openoma-host logs 1611433a
  openoma-host logs "$flow_execution" --follow`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, s, err := g.session(cmd.Context(), follow)
			if err != nil {
				return err
			}
			defer s.Close()
			labels := eventlabel.New(g.definitionsIfAny())
			root := ""
			notBlock := map[string]bool{} // flows' and contracts' progress is the engine's, not output
			err = s.Events(cmd.Context(), args[0], 0, follow, func(ev execution.Event) error {
				label := labels.Label(ev)
				if root == "" {
					root = ev.ExecutionID.String()
				}
				if ev.EventType == execution.EventCreated {
					var c execution.Created
					if json.Unmarshal(ev.Payload, &c) == nil && c.Kind != execution.KindBlock {
						notBlock[ev.ExecutionID.String()] = true
					}
				}
				if ev.EventType != execution.EventProgress || notBlock[ev.ExecutionID.String()] {
					return nil
				}
				if g.json {
					b, err := json.Marshal(ev)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(g.stdout, "%s\n", b)
					return err
				}
				prefix := ""
				if ev.ExecutionID.String() != root {
					// Several blocks interleave: say whose line it is.
					prefix = strings.SplitN(label, " ", 2)[0]
					if prefix == "" {
						prefix = ev.ExecutionID.String()[:8]
					}
					prefix += " | "
				}
				return writeProgressLines(g.stdout, prefix, ev.Payload)
			})
			return notFoundHint(err, args[0])
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the execution ends")
	return cmd
}

// writeProgressLines prints a progress payload as text: its "lines" (the
// shell plugin's stderr batches), its "text" (an agent's tokens), or, for
// a payload with neither, its type and the rest as JSON.
func writeProgressLines(w io.Writer, prefix string, payload json.RawMessage) error {
	var p map[string]any
	if err := json.Unmarshal(payload, &p); err != nil || p == nil {
		_, err := fmt.Fprintf(w, "%s%s\n", prefix, payload)
		return err
	}
	if lines, ok := p["lines"].([]any); ok {
		for _, l := range lines {
			if _, err := fmt.Fprintf(w, "%s%v\n", prefix, l); err != nil {
				return err
			}
		}
		if n, ok := p["dropped"].(float64); ok && n > 0 {
			_, err := fmt.Fprintf(w, "%s[%d lines dropped]\n", prefix, int(n))
			return err
		}
		return nil
	}
	if text, ok := p["text"].(string); ok {
		_, err := fmt.Fprintf(w, "%s%s\n", prefix, strings.TrimRight(text, "\n"))
		return err
	}
	kind, _ := p["type"].(string)
	delete(p, "type")
	rest, _ := json.Marshal(p)
	if kind == "" {
		kind = "progress"
	}
	_, err := fmt.Fprintf(w, "%s[%s] %s\n", prefix, kind, rest)
	return err
}
