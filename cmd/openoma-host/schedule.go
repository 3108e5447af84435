package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/schedule"
)

func newScheduleCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run a flow on a schedule: create, list, show, pause, resume, delete",
		Long: `schedule runs a flow every interval or by a cron expression, durably: a
schedule lives in the event store, each tick starts a run whose id is
derived from the schedule and the tick (a restart never runs a tick twice or
loses one), and each run records which schedule and tick started it. Ticks
missed while no daemon ran follow --catch-up: skip them (default), run the
latest once, or run them all. Schedules fire while "serve" runs.`,
	}
	cmd.AddCommand(newScheduleCreateCommand(g), newScheduleListCommand(g), newScheduleShowCommand(g),
		newScheduleMarkCommand(g, control.SchedulePause, "Stop a schedule firing until it is resumed"),
		newScheduleMarkCommand(g, control.ScheduleResume, "Let a paused schedule fire again (ticks of the pause are not caught up)"),
		newScheduleMarkCommand(g, control.ScheduleDelete, "Delete a schedule (its runs stay as they are)"))
	return cmd
}

func newScheduleCreateCommand(g *globals) *cobra.Command {
	var flow, every, cronExpr, catchUp string
	var inputs []string
	cmd := &cobra.Command{
		Use:   "create NAME --flow FLOW[@V] (--every 14d | --cron \"0 9 * * MON\") [--input k=v]... [--catch-up skip|one|all]",
		Short: "Create a schedule (its flow and inputs are checked as a run would be)",
		Long: `create records a schedule. --every is an interval from now (90m, 12h, 14d);
--cron a five-field cron expression, in UTC unless prefixed with
CRON_TZ=<zone> (e.g. "CRON_TZ=Europe/Paris 0 9 * * MON-FRI"). The flow is
pinned to its version now; inputs are checked like run's, before anything
is recorded.`,
		Example: `  openoma-host schedule create sprint --flow "Engineering Sprint Cycle" --every 14d -i ticket_id=SPRINT
  openoma-host schedule create standup --flow Standup --cron "0 9 * * MON-FRI" --catch-up skip`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec := schedule.Spec{Name: args[0], Flow: flow, Cron: cronExpr, CatchUp: schedule.CatchUp(catchUp)}
			if every != "" {
				d, err := schedule.ParseEvery(every)
				if err != nil {
					return usage(err)
				}
				spec.Every = d
			}
			in, err := parseInputs(inputs)
			if err != nil {
				return usage(err)
			}
			if len(in) > 0 {
				spec.Inputs = in
			}
			if err := spec.Check(); err != nil {
				return usage(err)
			}
			return g.scheduleCall(cmd, control.ScheduleRequest{Verb: control.ScheduleCreate, Spec: spec}, true)
		},
	}
	f := cmd.Flags()
	f.StringVar(&flow, "flow", "", "the flow to run (name, name@version)")
	f.StringVar(&every, "every", "", "interval: 90m, 12h, 14d")
	f.StringVar(&cronExpr, "cron", "", `cron expression: "0 9 * * MON"`)
	f.StringArrayVarP(&inputs, "input", "i", nil, "a run input: name=value (repeatable), or @file.json")
	f.StringVar(&catchUp, "catch-up", string(schedule.CatchUpSkip), "ticks missed while no daemon ran: skip, one (the latest) or all")
	return cmd
}

func newScheduleListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the schedules: when, flow, next tick, last run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.scheduleCall(cmd, control.ScheduleRequest{Verb: control.ScheduleList}, false)
		},
	}
}

func newScheduleShowCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a schedule with every tick it fired and the run each started",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.scheduleCall(cmd, control.ScheduleRequest{Verb: control.ScheduleShow, Spec: schedule.Spec{Name: args[0]}}, true)
		},
	}
}

func newScheduleMarkCommand(g *globals, verb control.ScheduleVerb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   string(verb) + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.scheduleCall(cmd, control.ScheduleRequest{Verb: verb, Spec: schedule.Spec{Name: args[0]}}, verb != control.ScheduleDelete)
		},
	}
}

// scheduleCall sends req to the daemon (or an embedded host) and prints
// the schedules it returns: in detail when there is one, as a table else.
func (g *globals) scheduleCall(cmd *cobra.Command, req control.ScheduleRequest, detail bool) error {
	_, s, err := g.session(cmd.Context(), req.Verb != control.ScheduleList && req.Verb != control.ScheduleShow)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.Schedule(cmd.Context(), req)
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(list)
	}
	if req.Verb == control.ScheduleDelete {
		_, err := fmt.Fprintf(g.stdout, "schedule %q deleted\n", req.Spec.Name)
		return err
	}
	if detail && len(list) == 1 {
		return writeSchedule(g.stdout, list[0])
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(g.stdout, "no schedules")
		return err
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWHEN\tFLOW\tSTATE\tNEXT\tLAST RUN")
	for _, sc := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", sc.Spec.Name, sc.When(), sc.Spec.Flow, scheduleState(sc), when(sc.Next), lastRun(sc))
	}
	return tw.Flush()
}

func writeSchedule(w io.Writer, sc schedule.Schedule) error {
	fmt.Fprintf(w, "schedule %q: %s, flow %s, catch-up %s, %s\n", sc.Spec.Name, sc.When(), sc.Spec.Flow, sc.Spec.CatchUp, scheduleState(sc))
	fmt.Fprintf(w, "  created %s, next tick %s\n", when(sc.State.Created), when(sc.Next))
	if len(sc.Spec.Inputs) > 0 {
		fmt.Fprintf(w, "  inputs %v\n", sc.Spec.Inputs)
	}
	for _, f := range sc.Fired {
		line := fmt.Sprintf("  - tick %s  run %s", when(f.Tick), f.ExecutionID)
		if f.Error != "" {
			line += "  (not started: " + f.Error + ")"
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

func scheduleState(sc schedule.Schedule) string {
	if sc.State.Paused {
		return "paused"
	}
	return "active"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func lastRun(sc schedule.Schedule) string {
	if len(sc.Fired) == 0 {
		return "-"
	}
	return sc.Fired[len(sc.Fired)-1].ExecutionID.String()[:8]
}
