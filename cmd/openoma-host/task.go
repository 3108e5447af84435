package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/tasks"
)

func newTaskCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "People's work: list, show, claim, complete, fail and decide tasks",
		Long: `task works on the tasks that the manual plugin records for people (a block
routed to "manual") and on the yes/no questions of description-only
conditions when routing.conditions_plugin is "manual".

A task's ID is its block execution id (for a question: its request id); a
unique prefix of at least 4 characters will do. The daemon identifies you by
your OS user (the control socket's peer credentials) and maps it to a person
and groups with tasks.people in the config; --as acts as another person
(admins only, see tasks.admins). Every action records the person and the OS
user. See docs/human-work.md.`,
	}
	cmd.AddCommand(newTaskListCommand(g), newTaskShowCommand(g), newTaskClaimCommand(g),
		newTaskCompleteCommand(g), newTaskFailCommand(g), newTaskDecideCommand(g))
	return cmd
}

// taskCall sends one task verb to the daemon (or an embedded host).
func (g *globals) taskCall(ctx context.Context, verb control.TaskVerb, req tasks.Request) (control.TaskAnswer, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return control.TaskAnswer{}, err
	}
	s, err := g.connect(ctx, cfg, false)
	if err != nil {
		return control.TaskAnswer{}, err
	}
	defer s.Close()
	return s.Task(ctx, control.TaskRequest{Verb: verb, Request: req})
}

// taskDo sends a verb that answers one task.
func (g *globals) taskDo(ctx context.Context, verb control.TaskVerb, req tasks.Request) (tasks.Task, error) {
	a, err := g.taskCall(ctx, verb, req)
	if err != nil {
		return tasks.Task{}, err
	}
	return *a.Task, nil
}

func newTaskListCommand(g *globals) *cobra.Command {
	var req tasks.Request
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List open tasks (overdue ones marked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.taskCall(cmd.Context(), control.TaskList, req)
			if err != nil {
				return err
			}
			list := a.Tasks
			if g.json {
				if list == nil {
					list = []tasks.Task{}
				}
				return g.printJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(g.stdout, "no tasks")
				return nil
			}
			w := tabwriter.NewWriter(g.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tKIND\tTITLE\tFOR\tDUE")
			for _, t := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID.String()[:8], t.State, t.Kind, t.Title, forWhom(t), due(t))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&req.Assignee, "assignee", "", "only tasks held by this person")
	cmd.Flags().StringVar(&req.Group, "group", "", "only tasks open to this group")
	cmd.Flags().BoolVar(&req.All, "all", false, "include tasks that have ended")
	return cmd
}

func forWhom(t tasks.Task) string {
	switch {
	case t.Assignee != "":
		return t.Assignee
	case len(t.CandidateGroups) > 0:
		return "group " + strings.Join(t.CandidateGroups, ",")
	case t.EndedBy != nil:
		return "by " + t.EndedBy.Identifier
	}
	return "anyone"
}

func due(t tasks.Task) string {
	if t.Due == nil {
		return "-"
	}
	s := t.Due.Local().Format(time.DateTime)
	if t.Overdue {
		s += " OVERDUE"
	}
	if t.Escalated {
		s += " (escalated)"
	}
	return s
}

func newTaskShowCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a task: what to do, the inputs, the outputs to fill",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := g.taskDo(cmd.Context(), control.TaskShow, tasks.Request{ID: args[0]})
			if err != nil {
				return err
			}
			return g.printTask(t)
		},
	}
}

// printTask prints a task as JSON or for a person.
func (g *globals) printTask(t tasks.Task) error {
	if g.json {
		return g.printJSON(t)
	}
	out := g.stdout
	fmt.Fprintf(out, "Task %s  (%s, %s)\n", t.ID, t.Kind, t.State)
	fmt.Fprintf(out, "  %s\n", t.Title)
	if t.Description != "" && t.Description != t.Title {
		fmt.Fprintf(out, "  %s\n", strings.TrimSpace(t.Description))
	}
	if t.Instructions != "" {
		fmt.Fprintf(out, "  Instructions: %s\n", strings.TrimSpace(t.Instructions))
	}
	fmt.Fprintf(out, "  For: %s   Due: %s\n", forWhom(t), due(t))
	fmt.Fprintf(out, "  Flow execution: %s\n", t.FlowExecutionID)
	printValues(g, "Inputs", t.Inputs)
	if t.Context != nil {
		printValues(g, "Flow inputs", t.Context.FlowInputs)
		printValues(g, "Outputs of the step before", t.Context.SourceOutputs)
	}
	if !t.Ended() {
		fmt.Fprintln(out, "  To fill (--output NAME=VALUE):")
		for _, p := range t.Outputs {
			req := "optional"
			if p.Required {
				req = "required"
			}
			schema := ""
			if len(p.Schema) > 0 {
				b, _ := json.Marshal(p.Schema)
				schema = " schema " + string(b)
			}
			fmt.Fprintf(out, "    %s (%s)%s  %s\n", p.Name, req, schema, p.Description)
		}
	} else {
		printValues(g, "Result", t.Result)
		if t.Reason != "" {
			fmt.Fprintf(out, "  Reason: %s\n", t.Reason)
		}
		if t.EndedBy != nil {
			fmt.Fprintf(out, "  Ended by: %s\n", t.EndedBy.Identifier)
		}
	}
	return nil
}

func printValues(g *globals, title string, values map[string]any) {
	if len(values) == 0 {
		return
	}
	fmt.Fprintf(g.stdout, "  %s:\n", title)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, _ := json.Marshal(values[k])
		fmt.Fprintf(g.stdout, "    %s = %s\n", k, b)
	}
}

func newTaskClaimCommand(g *globals) *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "claim ID",
		Short: "Take a task: it becomes yours (recorded as executor_assigned)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := g.taskDo(cmd.Context(), control.TaskClaim, tasks.Request{ID: args[0], As: as})
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(t)
			}
			fmt.Fprintf(g.stdout, "task %s is now held by %s\n", t.ID, t.Assignee)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "act as this person (yourself, or anyone if you are an admin)")
	return cmd
}

func newTaskCompleteCommand(g *globals) *cobra.Command {
	var as, file string
	var outputs []string
	cmd := &cobra.Command{
		Use:   "complete ID --output NAME=VALUE ... [--output-file outputs.json]",
		Short: "Complete a task with its outputs (validated against the ports)",
		Long: `complete records the task's outputs and its completion. Every required output
must be given, no undeclared one, and each value must match its port's JSON
schema; otherwise nothing is recorded and the problems are listed.

--output NAME=VALUE: the text as it is when the port wants a string, else
the JSON it spells (true, 42, {"a": 1}), else the text. --output-file reads
a JSON object of outputs; --output wins for the same port. For a yes/no
question: --output answer=true (or false), optionally --output reason=...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := tasks.Request{ID: args[0], As: as, Text: map[string]string{}}
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("--output-file: %w", err)
				}
				if err := json.Unmarshal(b, &req.Outputs); err != nil {
					return fmt.Errorf("--output-file %s: not a JSON object of outputs: %w", file, err)
				}
			}
			for _, o := range outputs {
				name, value, ok := strings.Cut(o, "=")
				if !ok || strings.TrimSpace(name) == "" {
					return fmt.Errorf("--output %q: want NAME=VALUE", o)
				}
				req.Text[strings.TrimSpace(name)] = value
			}
			t, err := g.taskDo(cmd.Context(), control.TaskComplete, req)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(t)
			}
			fmt.Fprintf(g.stdout, "task %s completed by %s\n", t.ID, who(t))
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&outputs, "output", "o", nil, "an output: NAME=VALUE (repeatable)")
	cmd.Flags().StringVar(&file, "output-file", "", "a JSON file with an object of outputs")
	cmd.Flags().StringVar(&as, "as", "", "act as this person (yourself, or anyone if you are an admin)")
	return cmd
}

func who(t tasks.Task) string {
	if t.EndedBy == nil {
		return "?"
	}
	return t.EndedBy.Identifier
}

func newTaskFailCommand(g *globals) *cobra.Command {
	var as, reason string
	cmd := &cobra.Command{
		Use:   "fail ID --reason TEXT",
		Short: "Record that a task cannot be done; its block fails with the reason",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := g.taskDo(cmd.Context(), control.TaskFail, tasks.Request{ID: args[0], As: as, Reason: reason})
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(t)
			}
			fmt.Fprintf(g.stdout, "task %s failed: %s\n", t.ID, t.Reason)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the task cannot be done (required)")
	cmd.Flags().StringVar(&as, "as", "", "act as this person (yourself, or anyone if you are an admin)")
	return cmd
}

func newTaskDecideCommand(g *globals) *cobra.Command {
	var as, reason string
	cmd := &cobra.Command{
		Use:   "decide ID yes|no [--reason TEXT]",
		Short: "Answer a yes/no question (a description-only condition)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var answer bool
			switch strings.ToLower(args[1]) {
			case "yes", "y", "true":
				answer = true
			case "no", "n", "false":
			default:
				return fmt.Errorf("answer %q: want yes or no", args[1])
			}
			t, err := g.taskDo(cmd.Context(), control.TaskDecide, tasks.Request{ID: args[0], As: as, Reason: reason, Answer: &answer})
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(t)
			}
			fmt.Fprintf(g.stdout, "question %s answered %s by %s\n", t.ID, args[1], who(t))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	cmd.Flags().StringVar(&as, "as", "", "act as this person (yourself, or anyone if you are an admin)")
	return cmd
}
