package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/eventlabel"
)

func newStatusCommand(g *globals) *cobra.Command {
	var state, flow, since string
	var limit int
	cmd := &cobra.Command{
		Use:   "status [EXECUTION]",
		Short: "Show an execution as a tree (contract → flows → blocks), or list recent runs",
		Long: `status shows one execution — state, blocks with executor, attempt and timing,
and for contracts the work state apart from the assessment verdicts — or,
without an id, the recent top-level runs, newest first (50 unless --limit
says otherwise), filtered by --state, --flow and --since. With --json it
prints the same object as run --json, or the list as a JSON array.

EXECUTION is an execution id or a unique prefix of one (at least 4 hex
digits), as events and status print them.`,
		Example: `  openoma-host status 1611433a
  openoma-host status --state failed --since 24h
  openoma-host status --flow "Engineering Sprint Cycle" --limit 5 --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			filter, err := recentFilter(state, flow, since, limit, time.Now())
			if err != nil {
				return usage(err)
			}
			if len(args) == 1 && (filter != control.RecentFilter{}) {
				return usage(errors.New("--state, --flow, --since and --limit filter the list; give them without an EXECUTION"))
			}
			_, s, err := g.session(cmd.Context(), false)
			var none noDataError
			if errors.As(err, &none) && len(args) == 0 {
				if g.json {
					return g.printJSON([]control.ExecutionSummary{})
				}
				_, err := fmt.Fprintf(g.stdout, "no executions yet (no data directory %s)\n", none.dir)
				return err
			}
			if err != nil {
				return err
			}
			defer s.Close()
			if len(args) == 1 {
				rep, err := s.Status(cmd.Context(), args[0])
				if err != nil {
					return notFoundHint(err, args[0])
				}
				return g.printReport(rep.JSON, false)
			}
			list, err := s.Recent(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(list)
			}
			return writeSummaries(g.stdout, list, filter != control.RecentFilter{})
		},
	}
	f := cmd.Flags()
	f.StringVar(&state, "state", "", "only runs in this state: pending, in_progress, completed, failed, cancelled")
	f.StringVar(&flow, "flow", "", "only runs of this flow or contract (name or name@version)")
	f.StringVar(&since, "since", "", "only runs created since then: a duration ago (90m, 24h, 7d) or a time (2026-12-01, RFC 3339)")
	f.IntVar(&limit, "limit", 0, "list at most this many (default 50)")
	return cmd
}

// recentFilter checks the list flags of status.
func recentFilter(state, flow, since string, limit int, now time.Time) (control.RecentFilter, error) {
	f := control.RecentFilter{Name: flow, Limit: limit}
	if limit < 0 {
		return f, fmt.Errorf("--limit %d: want a positive number", limit)
	}
	if state != "" {
		st := execution.State(strings.ToLower(strings.ReplaceAll(state, "-", "_")))
		switch st {
		case execution.StatePending, execution.StateInProgress, execution.StateCompleted, execution.StateFailed, execution.StateCancelled:
			f.State = st
		default:
			return f, fmt.Errorf("--state %q: want pending, in_progress, completed, failed or cancelled", state)
		}
	}
	if since != "" {
		t, err := parseSince(since, now)
		if err != nil {
			return f, fmt.Errorf("--since %q: %w", since, err)
		}
		f.Since = t
	}
	return f, nil
}

// parseSince reads a duration ago ("90m", "24h", "7d") or a point in time
// ("2026-12-01", "2026-12-01T09:00:00Z").
func parseSince(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", time.DateTime, time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want a duration (90m, 24h, 7d) or a time (2026-12-01, 2026-12-01T09:00:00Z)")
}

// writeSummaries prints the list of runs as a table with a header row.
func writeSummaries(w io.Writer, list []control.ExecutionSummary, filtered bool) error {
	if len(list) == 0 {
		if filtered {
			_, err := fmt.Fprintln(w, "no executions match")
			return err
		}
		_, err := fmt.Fprintln(w, "no executions yet")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXECUTION\tSTATE\tKIND\tNAME\tCREATED\tDURATION")
	for _, r := range list {
		took := "-"
		if r.EndedAt != nil {
			took = r.EndedAt.Sub(r.CreatedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s v%d\t%s\t%s\n", r.ExecutionID, r.State, r.Kind, r.Name, r.Version,
			r.CreatedAt.Local().Format(time.DateTime), took)
	}
	return tw.Flush()
}

func newEventsCommand(g *globals) *cobra.Command {
	var follow bool
	var after uint64
	cmd := &cobra.Command{
		Use:   "events EXECUTION",
		Short: "Print the event log of an execution and everything beneath it",
		Long: `events prints the events of an execution and of its descendants (a contract's
flows, a flow's blocks) in the order they were stored; --follow keeps
printing new ones until the execution ends. --json prints one JSON event
per line.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, s, err := g.session(cmd.Context(), follow)
			if err != nil {
				return err
			}
			defer s.Close()
			labels := eventlabel.New(g.definitionsIfAny())
			err = s.Events(cmd.Context(), args[0], after, follow, func(ev execution.Event) error {
				if g.json {
					b, err := json.Marshal(ev)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(g.stdout, "%s\n", b)
					return err
				}
				return writeEvent(g, ev, labels.Label(ev))
			})
			return notFoundHint(err, args[0])
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events until the execution ends")
	cmd.Flags().Uint64Var(&after, "after", 0, "only events stored after this position")
	return cmd
}

func writeEvent(g *globals, ev execution.Event, label string) error {
	who := ""
	if ev.Executor != nil {
		who = fmt.Sprintf(" [%s:%s]", ev.Executor.Type, ev.Executor.Identifier)
	}
	payload := ""
	if len(ev.Payload) > 0 && string(ev.Payload) != "null" {
		payload = " " + string(ev.Payload)
		if len(payload) > 200 {
			payload = payload[:197] + "..."
		}
	}
	if label != "" {
		label = " " + label
	}
	_, err := fmt.Fprintf(g.stdout, "%6d %s %s%s #%d %-17s%s%s\n", ev.Position, ev.Timestamp.Local().Format("15:04:05.000"),
		ev.ExecutionID.String()[:8], label, ev.Sequence, ev.EventType, who, payload)
	return err
}

func newCancelCommand(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel EXECUTION",
		Short: "Cancel a running flow, contract or block execution",
		Long: `cancel stops an execution that has not ended, and records why.

For a flow execution, the host records the request, asks the plugin of
every block still running in it to cancel that block, records each block
cancelled (a plugin that does not answer within the call timeout is
recorded cancelled by the host) and ends the flow cancelled. Blocks not yet
started never start. For a contract execution, the same happens to each of
its work flows, sub-contracts and assessment flows, and the contract ends
cancelled with no verdict. For a block execution, its plugin is asked to
cancel it, and the block's flow then ends cancelled, as a failed block
would end it.

What a plugin does with a cancelled block is its own: the shell plugin
kills the command's process group; the manual plugin withdraws the task;
see docs/plugins.md. Side effects a block already had are not undone.

Cancelling is final: a cancelled execution cannot be resumed (use rerun, when
available, to start again). An execution that already ended is refused
with "execution has already ended", and nothing is recorded.

With a daemon running, cancel returns once the request is recorded; without
one, this process is the host and returns once the execution has ended.`,
		Example: `  openoma-host cancel 5b0a2f7e --reason "wrong ticket"
  openoma-host cancel 5b0a2f7e-4c1d-4a53-8d36-2f1d0b6a7c11 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, s, err := g.session(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Cancel(cmd.Context(), args[0], reason); err != nil {
				return notFoundHint(err, args[0])
			}
			if s.embedded {
				// This process is the host: stay until the cancellation is
				// recorded rather than leave it half-done at exit.
				if err := waitFinal(cmd.Context(), s, args[0]); err != nil {
					return err
				}
			}
			if g.json {
				return g.printJSON(map[string]any{"execution_id": args[0], "cancelled": true})
			}
			fmt.Fprintf(g.stdout, "cancelled %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the log)")
	return cmd
}

// waitFinal polls an execution's report until it has ended.
func waitFinal(ctx context.Context, s *session, id string) error {
	for {
		rep, err := s.Status(ctx, id)
		if err != nil || rep.Final {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
