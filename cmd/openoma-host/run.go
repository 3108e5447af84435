package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/engine"
)

func newRunCommand(g *globals) *cobra.Command {
	var inputFlags, claims []string
	var wait bool
	cmd := &cobra.Command{
		Use:   "run FLOW_OR_CONTRACT",
		Short: "Run a flow or contract and (by default) wait for it to end",
		Long: `run starts a flow or contract — by name, name@version, id or id@version — with
the given inputs. It submits to the daemon when one is running; otherwise it
runs an embedded host on the data directory until the execution ends (and
resumes anything earlier runs left open).

Inputs: --input name=value (JSON when it parses as JSON, else a string;
name:=value is always a string) or --input @file.json (an object).

A contract run with --claim FLOW_EXECUTION (repeatable; an id or a unique
prefix) counts that completed flow execution as one of its work flows — the
first of its flow version — instead of running it again; one that is not
completed, or runs none of the contract's work flows, is refused.

Exit status: 0 completed, 1 failed or cancelled, 2 on a usage error.
With --wait=false it prints the execution id as soon as it is recorded; the
daemon runs it, or, when none is running, the next "serve" or "run" on the
data directory does.`,
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
			run := s.Run
			if len(claims) > 0 {
				run = func(ctx context.Context, ref string, inputs map[string]any, wait bool, on func(control.Report)) (control.Report, error) {
					return s.RunClaiming(ctx, ref, inputs, claims, wait, on)
				}
			}
			last, err := run(cmd.Context(), args[0], inputs, wait, progress.update)
			progress.done()
			if err != nil {
				return err
			}
			return g.printStarted(s, last, wait, "execution")
		},
	}
	cmd.Flags().StringArrayVarP(&inputFlags, "input", "i", nil, "run input: name=value or @file.json (repeatable)")
	cmd.Flags().BoolVar(&wait, "wait", true, "wait for the execution to end")
	cmd.Flags().StringArrayVar(&claims, "claim", nil, "a completed flow execution the contract counts as a work flow (repeatable)")
	return cmd
}

// printStarted prints what run and rerun give back: without wait, the new
// execution's id (saying when no daemon will run it now); with wait, its
// report, the exit status following its state.
func (g *globals) printStarted(s *session, last control.Report, wait bool, what string) error {
	if wait {
		return g.printReport(last.JSON, true)
	}
	if s.embedded {
		fmt.Fprintf(g.stderr, "openoma-host: no daemon is running: the %s is recorded and will run when \"openoma-host serve\" (or another run) next opens this data directory\n", what)
	}
	if g.json {
		return g.printJSON(map[string]any{"execution_id": last.ExecutionID})
	}
	_, err := fmt.Fprintln(g.stdout, last.ExecutionID)
	return err
}

// isTerminal reports whether w is a character device (a terminal), so
// progress can redraw one line instead of printing many.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printReport prints a report as JSON or as a tree, and turns a failed or
// cancelled end into exit status 1. JSON is the daemon's encoding indented
// as it is (fields in the report's order): no tree of values is built, which
// for a 1,000-block flow (0.5 MB) cost more than the daemon's work.
func (g *globals) printReport(raw json.RawMessage, exitOnFailure bool) error {
	var state execution.State
	if g.json {
		var buf bytes.Buffer
		buf.Grow(len(raw) + len(raw)/2)
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("decode report: %w", err)
		}
		buf.WriteByte('\n')
		if _, err := buf.WriteTo(g.stdout); err != nil {
			return err
		}
		if !exitOnFailure {
			return nil
		}
		var head struct {
			State execution.State `json:"state"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("decode report: %w", err)
		}
		state = head.State
	} else {
		var rep engine.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			return fmt.Errorf("decode report: %w", err)
		}
		// One write per screenful, not per line: a big flow has a line
		// per block.
		// On a terminal (or with COLUMNS) long lines wrap at its width (see
		// fitLines).
		w := bufio.NewWriter(g.stdout)
		fit := fitLines(w, outputWidth(g.stdout))
		writeTree(fit, &rep, "")
		if err := errors.Join(fit.Flush(), w.Flush()); err != nil {
			return err
		}
		state = rep.State
	}
	if exitOnFailure && (state == execution.StateFailed || state == execution.StateCancelled) {
		return exitError{1}
	}
	return nil
}

// writeBlocks prints a flow's block executions, one line per run: a node
// that ran several times (a loop) has its iteration beside its alias
// ("review #2"); a for_each node's iteration is one line counting its
// items by state, followed by the items that did not complete; a block
// claimed from another execution (a rerun) says where it is shared from.
func writeBlocks(w io.Writer, blocks []engine.BlockReport, indent string) {
	iterations := map[string]int{}
	for _, b := range blocks {
		iterations[b.Alias] = max(iterations[b.Alias], b.Iteration)
	}
	for i := 0; i < len(blocks); {
		b := blocks[i]
		name := b.Alias
		if iterations[b.Alias] > 1 {
			name = fmt.Sprintf("%s #%d", b.Alias, b.Iteration)
		}
		if b.Index == nil {
			line := fmt.Sprintf("%s  - %-20s %-11s attempt %d", indent, name, b.State, b.Attempt)
			if b.Executor != nil {
				line += fmt.Sprintf("  %s:%s", b.Executor.Type, b.Executor.Identifier)
			}
			if b.StartedAt != nil && b.EndedAt != nil {
				line += fmt.Sprintf("  %s", b.EndedAt.Sub(*b.StartedAt).Round(time.Millisecond))
			}
			if b.SharedFrom != uuid.Nil {
				line += "  shared from " + b.SharedFrom.String()
			}
			if b.Reason != "" {
				line += "  (" + b.Reason + ")"
			}
			fmt.Fprintln(w, line)
			i++
			continue
		}
		// The items of one iteration: the latest attempt of each counts.
		j := i
		for j < len(blocks) && blocks[j].Alias == b.Alias && blocks[j].Iteration == b.Iteration && blocks[j].Index != nil {
			j++
		}
		var latest []engine.BlockReport
		retried := 0
		for k := i; k < j; k++ {
			if k+1 < j && *blocks[k+1].Index == *blocks[k].Index {
				retried++
				continue
			}
			latest = append(latest, blocks[k])
		}
		counts := map[execution.State]int{}
		for _, it := range latest {
			counts[it.State]++
		}
		var parts []string
		for _, st := range []execution.State{execution.StateCompleted, execution.StateInProgress, execution.StatePending,
			execution.StateFailed, execution.StateCancelled, execution.StateSkipped} {
			if counts[st] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			}
		}
		if retried > 0 {
			parts = append(parts, fmt.Sprintf("%d retries", retried))
		}
		state := execution.StateCompleted
		for _, st := range []execution.State{execution.StateInProgress, execution.StatePending, execution.StateCancelled, execution.StateFailed} {
			if counts[st] > 0 {
				state = st
			}
		}
		noun := "items"
		if len(latest) == 1 {
			noun = "item"
		}
		line := fmt.Sprintf("%s  - %-20s %-11s %d %s: %s", indent, name, state, len(latest), noun, strings.Join(parts, ", "))
		if b.SharedFrom != uuid.Nil {
			line += "  shared from " + b.SharedFrom.String()
		}
		fmt.Fprintln(w, line)
		shown := 0
		for _, it := range latest {
			if it.State == execution.StateCompleted || it.State == execution.StateInProgress || it.State == execution.StatePending {
				continue
			}
			if shown == 3 {
				fmt.Fprintf(w, "%s      … and %d more\n", indent, counts[execution.StateFailed]+counts[execution.StateCancelled]+counts[execution.StateSkipped]-shown)
				break
			}
			fmt.Fprintf(w, "%s      item %d: %s, attempt %d (%s)\n", indent, *it.Index, it.State, it.Attempt, it.Reason)
			shown++
		}
		i = j
	}
}

// writeTree prints a report for a person: contract → flows → blocks, with
// state, attempt, executor and timing.
func writeTree(w io.Writer, r *engine.Report, indent string) {
	head := fmt.Sprintf("%s%s %q v%d: %s", indent, r.Kind, r.Name, r.Version, r.State)
	if r.Role != "" && r.Role != execution.RoleWork {
		head += fmt.Sprintf(" (%s)", r.Role)
	}
	if r.Claimed {
		head += " (claimed: counted, not run again)"
	}
	if r.Progress != nil {
		head += " — " + nodeCounts(r)
	}
	if r.EndedAt != nil {
		head += fmt.Sprintf(" in %s", r.EndedAt.Sub(r.CreatedAt).Round(time.Millisecond))
	}
	fmt.Fprintln(w, head)
	if indent == "" {
		fmt.Fprintf(w, "  execution %s\n", r.ExecutionID)
		if r.RerunOf != uuid.Nil {
			fmt.Fprintf(w, "  rerun of %s\n", r.RerunOf)
		}
	} else if r.Claimed {
		fmt.Fprintf(w, "%s  execution %s\n", indent, r.ExecutionID)
	}
	if r.Reason != "" {
		fmt.Fprintf(w, "%s  reason: %s\n", indent, r.Reason)
	}
	if r.Kind == execution.KindContract {
		met := "unknown"
		if r.OutcomesMet != nil {
			met = map[bool]string{true: "yes", false: "no"}[*r.OutcomesMet]
		}
		fmt.Fprintf(w, "%s  work: %s; outcomes met: %s\n", indent, r.WorkState, met)
	}
	writeBlocks(w, r.Blocks, indent)
	for _, f := range r.Flows {
		writeTree(w, f, indent+"  ")
	}
	for _, k := range r.SubContracts {
		writeTree(w, k, indent+"  ")
	}
	for _, a := range r.Assessments {
		verdict := "pending"
		if a.Met != nil {
			verdict = map[bool]string{true: "met", false: "NOT met"}[*a.Met]
		}
		fmt.Fprintf(w, "%s  outcome %q: %s (%s)", indent, a.Outcome, verdict, a.State)
		if a.Result != nil {
			b, _ := json.Marshal(a.Result)
			fmt.Fprintf(w, " result %s", b)
		}
		fmt.Fprintln(w)
	}
	if indent == "" && len(r.Outputs) > 0 {
		fmt.Fprintln(w, "outputs:")
		aliases := make([]string, 0, len(r.Outputs))
		for a := range r.Outputs {
			aliases = append(aliases, a)
		}
		sort.Strings(aliases)
		for _, a := range aliases {
			ports := make([]string, 0, len(r.Outputs[a]))
			for p := range r.Outputs[a] {
				ports = append(ports, p)
			}
			sort.Strings(ports)
			for _, p := range ports {
				b, _ := json.Marshal(r.Outputs[a][p])
				fmt.Fprintf(w, "  %s.%s = %s\n", a, p, b)
			}
		}
	}
}

// progress shows blocks done/total while run waits: one rewritten line on
// a terminal, plain lines (only on change) otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	last  string
	shown bool
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

func (p *progress) update(r control.Report) {
	if r.Final {
		return
	}
	var rep engine.Report
	if json.Unmarshal(r.JSON, &rep) != nil {
		return
	}
	done, total := countBlocks(&rep)
	line := fmt.Sprintf("%s %q: %s, %d/%d blocks done", rep.Kind, rep.Name, rep.State, done, total)
	if line == p.last {
		return
	}
	p.last = line
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) done() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func countBlocks(r *engine.Report) (done, total int) {
	if r.Progress != nil {
		done, total = r.Progress.Done, r.Progress.Total
	}
	for _, f := range r.Flows {
		d, t := countBlocks(f)
		done, total = done+d, total+t
	}
	for _, k := range r.SubContracts {
		d, t := countBlocks(k)
		done, total = done+d, total+t
	}
	for _, a := range r.Assessments {
		for _, f := range append(a.TestFlows, a.AssessmentFlow) {
			if f != nil {
				d, t := countBlocks(f)
				done, total = done+d, total+t
			}
		}
	}
	return done, total
}

// nodeCounts says what became of a flow's nodes, by the state of each
// node's latest block execution: "3 completed, 1 skipped, 1 not reached of
// 5 nodes". Ended is not the same as succeeded, so each state is named.
func nodeCounts(r *engine.Report) string {
	latest := map[uuid.UUID]execution.State{}
	for _, b := range r.Blocks {
		latest[b.NodeID] = b.State // blocks are in node order, attempts and iterations ascending
	}
	by := map[execution.State]int{}
	for _, st := range latest {
		by[st]++
	}
	var parts []string
	for _, st := range []execution.State{execution.StateCompleted, execution.StateSkipped, execution.StateFailed,
		execution.StateCancelled, execution.StateInProgress, execution.StatePending} {
		if n := by[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(st), "_", " ")))
		}
	}
	if missing := r.Progress.Total - len(latest); missing > 0 {
		parts = append(parts, fmt.Sprintf("%d not reached", missing))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d nodes", r.Progress.Total)
	}
	return fmt.Sprintf("%s of %d nodes", strings.Join(parts, ", "), r.Progress.Total)
}
