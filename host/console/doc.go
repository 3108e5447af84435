// Package console is the read-only execution console: web pages, served
// beside the people's inbox and behind the same loopback, secret and CSP
// rules, that let an operator look at executions rather than read text —
// recent runs with filters; one execution with its flow graph laid out by
// Graphviz and each node coloured by state and annotated with attempts,
// iterations, items and timing; a contract's work state beside its
// outcome verdicts; and the event log.
//
// The console never writes: it reads reports and events through Source,
// which the host implements over its engine and store. It has no script
// at all (the CSP forbids it): graphs are inline SVG, filters are plain
// GET forms.
package console
