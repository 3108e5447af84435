package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newSignalCommand(g *globals) *cobra.Command {
	var outputs []string
	var file string
	cmd := &cobra.Command{
		Use:   "signal EXECUTION NAME [--output PORT=VALUE]... [--output-file F]",
		Short: "Send a named signal (an external event) to a running flow execution",
		Long: `signal tells a running flow execution that something happened outside —
"deployed", "customer answered" — and completes the openoma.signal block
that waits for NAME (its metadata signal.name, else its node alias) with the
given outputs, recorded as done by you.

EXECUTION is the flow execution, or one of its block executions, by id or
unique prefix. The outputs are checked against the waiting block's output
ports (required ones, JSON schemas) before anything is recorded; an unknown
or ended execution, or a name no node of the flow waits for, is refused with
nothing recorded. A signal sent before its block waits is kept in the log
and delivered when the block starts; each signal is taken by one block.

--output PORT=VALUE: VALUE is JSON when it parses as JSON (true, 42,
{"a": 1}), else text; PORT:=VALUE keeps it text. --output-file reads a JSON
object of outputs; --output wins for the same port.`,
		Example: `  openoma-host signal 5b0a2f7e deployed --output url=https://shop.example/v2
  openoma-host signal 5b0a2f7e customer_answered --output-file answer.json --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			values := map[string]any{}
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("--output-file: %w", err)
				}
				if err := json.Unmarshal(b, &values); err != nil {
					return usage(fmt.Errorf("--output-file %s: not a JSON object of outputs: %w", file, err))
				}
			}
			given, err := parseInputs(outputs)
			if err != nil {
				return usage(fmt.Errorf("--output: %w", err))
			}
			for k, v := range given {
				values[k] = v
			}
			_, s, err := g.session(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			id, err := s.Signal(cmd.Context(), args[0], args[1], values)
			if err != nil {
				return notFoundHint(err, args[0])
			}
			if g.json {
				return g.printJSON(map[string]any{"signal_id": id, "execution_id": args[0], "name": args[1]})
			}
			fmt.Fprintf(g.stdout, "signal %q sent to %s (%s)\n", args[1], args[0], id)
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&outputs, "output", "o", nil, "an output of the waiting block: PORT=VALUE (repeatable)")
	cmd.Flags().StringVar(&file, "output-file", "", "a JSON file with an object of outputs")
	return cmd
}
