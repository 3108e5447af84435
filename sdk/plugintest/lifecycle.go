package plugintest

import (
	"fmt"
	"strings"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// CheckLifecycle checks that a finished block execution's log is one a
// well-behaved adapter writes, and returns every problem it finds:
//
//   - it starts with created and its sequences run 1, 2, 3, … without gaps;
//   - it has exactly one terminal event, and nothing but administrative
//     events after it;
//   - every event the adapter wrote names its executor (type and
//     identifier), and some executor_assigned precedes started;
//   - a completed execution has started, produced only declared outputs,
//     and produced every required output, all before completing;
//   - a failed, cancelled or skipped execution says why (a reason).
func CheckLifecycle(block core.WorkBlock, events []execution.Event) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(events) == 0 || events[0].EventType != execution.EventCreated {
		return fmt.Errorf("log does not start with created: %s", Describe(events))
	}
	var (
		terminal      *execution.Event
		assigned      bool
		started       bool
		afterTerminal []string
		outputs       = map[string]bool{}
	)
	for i := range events {
		ev := &events[i]
		if ev.Sequence != uint64(i+1) {
			bad("event %d has sequence %d", i+1, ev.Sequence)
		}
		if i > 0 && (ev.Executor == nil || ev.Executor.Identifier == "" || ev.Executor.Type == "") {
			bad("%d:%s does not name its executor", ev.Sequence, ev.EventType)
		}
		if terminal != nil {
			if !ev.IsAdministrative() {
				afterTerminal = append(afterTerminal, fmt.Sprintf("%d:%s", ev.Sequence, ev.EventType))
			}
			continue
		}
		switch ev.EventType {
		case execution.EventCreated:
			if i > 0 {
				bad("created again at sequence %d", ev.Sequence)
			}
		case execution.EventExecutorAssigned:
			assigned = true
		case execution.EventStarted:
			if !assigned {
				bad("%d:started before any executor_assigned", ev.Sequence)
			}
			started = true
		case execution.EventOutcomeProduced:
			var o execution.Outcome
			if err := ev.DecodePayload(&o); err != nil {
				bad("%d:outcome_produced payload is not an object of outputs: %v", ev.Sequence, err)
			}
			for port := range o {
				if _, ok := block.Output(port); !ok {
					bad("%d:outcome_produced names output %q, which %s does not declare", ev.Sequence, port, block.Describe())
				}
				outputs[port] = true
			}
		}
		if ev.EventType.IsTerminal() {
			terminal = ev
		}
	}
	if len(afterTerminal) > 0 {
		bad("events after the terminal event: %s", strings.Join(afterTerminal, " "))
	}
	switch {
	case terminal == nil:
		bad("no terminal event")
	case terminal.EventType == execution.EventCompleted:
		if !started {
			bad("completed without started")
		}
		for _, p := range block.Outputs {
			if p.Required && !outputs[p.Name] {
				bad("completed without required output %q", p.Name)
			}
		}
	default:
		var f execution.Failure
		if err := terminal.DecodePayload(&f); err != nil || strings.TrimSpace(f.Reason) == "" {
			bad("%d:%s does not say why (payload %s)", terminal.Sequence, terminal.EventType, terminal.Payload)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: invalid lifecycle (%s):\n  %s", block.Describe(), Describe(events), strings.Join(problems, "\n  "))
	}
	return nil
}
