package main

import (
	"github.com/spf13/cobra"
)

func newRerunCommand(g *globals) *cobra.Command {
	var inputFlags, from []string
	var wait bool
	cmd := &cobra.Command{
		Use:   "rerun EXECUTION",
		Short: "Run an ended flow execution again, reusing the work that completed",
		Long: `rerun starts a new execution of the same flow version as EXECUTION (an id or a
unique prefix), with the same inputs — --input replaces some of them. The
new execution claims the block executions of the old one that completed and
are not downstream of a failed or cancelled node (nor of a --from node)
instead of running them again, and runs the rest: the failed nodes, the
--from nodes, and everything after them. status lists a claimed block with
shared_from, the execution that ran it; the old execution is never changed.

A running execution cannot be rerun (cancel it, or wait for it to end); a
completed one only with --from. Inputs go through the same checks as run's,
and a refused rerun records nothing.

Inputs: --input name=value (JSON when it parses as JSON, else a string;
name:=value is always a string) or --input @file.json (an object).

Exit status: 0 completed, 1 failed or cancelled, 2 on a usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, err := parseInputs(inputFlags)
			if err != nil {
				return err
			}
			_, s, err := g.session(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			progress := newProgress(g.stderr, !g.json && isTerminal(g.stderr))
			last, err := s.Rerun(cmd.Context(), args[0], from, inputs, wait, progress.update)
			progress.done()
			if err != nil {
				return notFoundHint(err, args[0])
			}
			return g.printStarted(s, last, wait, "rerun")
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "alias of a node to run again, with everything after it (repeatable)")
	cmd.Flags().StringArrayVarP(&inputFlags, "input", "i", nil, "input replacing the old run's: name=value or @file.json (repeatable)")
	cmd.Flags().BoolVar(&wait, "wait", true, "wait for the new execution to end")
	return cmd
}
