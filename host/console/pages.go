package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/graph"
)

var funcs = template.FuncMap{
	"short": func(id uuid.UUID) string { return id.String()[:8] },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"clock": func(t time.Time) string { return t.Local().Format("15:04:05.000") },
	"took": func(from time.Time, to *time.Time) string {
		if to == nil {
			return "—"
		}
		return to.Sub(from).Round(time.Millisecond).String()
	},
	"ran": func(from, to *time.Time) string {
		if from == nil || to == nil {
			return "—"
		}
		return to.Sub(*from).Round(time.Millisecond).String()
	},
	"stateClass": stateClass,
	"legend":     legend,
	"index": func(i *int) string {
		if i == nil {
			return ""
		}
		return fmt.Sprint(*i)
	},
	"who": func(x *execution.ExecutorInfo) string {
		if x == nil {
			return ""
		}
		return string(x.Type) + ":" + x.Identifier
	},
	"verdict": func(met *bool) string {
		switch {
		case met == nil:
			return "pending"
		case *met:
			return "met"
		}
		return "not met"
	},
	"verdictClass": func(met *bool) string {
		switch {
		case met == nil:
			return stateClass(execution.StatePending)
		case *met:
			return stateClass(execution.StateCompleted)
		}
		return stateClass(execution.StateFailed)
	},
	"selected": func(a, b string) bool { return a == b },
}

func stateClass(s execution.State) string {
	if s == "" {
		return "st-not_reached"
	}
	return "st-" + string(s)
}

var pages = template.Must(template.New("").Funcs(funcs).Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · openoma console</title>
<link rel="stylesheet" href="/style.css"><link rel="stylesheet" href="/console.css"></head><body>
<header><a href="/executions">openoma console</a> <a class="alt" href="/">inbox</a></header>
<main>{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "denied"}}{{template "head" .}}<h1>{{.Title}}</h1>{{template "foot"}}{{end}}

{{define "list"}}{{template "head" .}}<h1>Executions</h1>
<form method="get" action="/executions" id="filters" class="filters">
<label>state <select name="state">{{$st := .Query.Get "state"}}{{range .States}}<option value="{{.}}"{{if selected . $st}} selected{{end}}>{{if .}}{{.}}{{else}}any{{end}}</option>{{end}}</select></label>
<label>flow or contract <input name="flow" value="{{.Query.Get "flow"}}"></label>
<label>since <input name="since" value="{{.Query.Get "since"}}" placeholder="24h, 7d"></label>
<button type="submit">Filter</button></form>
{{if .Runs}}<table id="runs"><thead><tr><th>Execution</th><th>State</th><th>Kind</th><th>Name</th><th>Created</th><th>Took</th></tr></thead><tbody>
{{range .Runs}}<tr><td><a href="/executions/{{.ID}}"><code>{{short .ID}}</code></a></td><td><span class="badge {{stateClass .State}}">{{.State}}</span></td><td>{{.Kind}}</td><td>{{.Name}} v{{.Version}}</td><td>{{when .CreatedAt}}</td><td>{{took .CreatedAt .EndedAt}}</td></tr>
{{end}}</tbody></table>{{else}}<p id="empty">No executions{{if .Query}} match{{end}}.</p>{{end}}
{{template "foot"}}{{end}}

{{define "execution"}}{{template "head" .}}{{with .Top}}
<h1>{{.Kind}} {{.Name}} <small>v{{.Version}}</small> <span class="badge {{stateClass .State}}" id="state">{{.State}}</span></h1>
<p class="meta"><code>{{.ExecutionID}}</code> · created {{when .CreatedAt}} · took {{took .CreatedAt .EndedAt}}</p>
{{if .Reason}}<p class="error" id="reason">{{.Reason}}</p>{{end}}
{{if eq .Kind "contract"}}<table class="verdicts" id="contract"><tr><th>Work</th><td><span class="badge {{stateClass .WorkState}}">{{.WorkState}}</span></td>
<th>Outcomes met</th><td><span class="badge {{verdictClass .OutcomesMet}}">{{verdict .OutcomesMet}}</span></td></tr></table>{{end}}
{{end}}
{{if .Assessments}}<h2>Required outcomes</h2><table id="assessments"><thead><tr><th>Outcome</th><th>Assessment</th><th>Verdict</th><th>Reason</th></tr></thead><tbody>
{{range .Assessments}}<tr><td>{{.Outcome}}</td><td><span class="badge {{stateClass .State}}">{{.State}}</span></td><td><span class="badge {{verdictClass .Met}}">{{verdict .Met}}</span></td><td>{{.Reason}}</td></tr>{{end}}
</tbody></table>{{end}}
{{range .Flows}}<section class="flow">
<h2>{{.Label}}: {{.Report.Name}} <small>v{{.Report.Version}}</small> <span class="badge {{stateClass .Report.State}}">{{.Report.State}}</span></h2>
{{if .SVG}}<figure class="graph">{{.SVG}}</figure>{{else if .NoGraph}}<p class="meta">No drawing: {{.NoGraph}}.</p>{{end}}
<ul class="legend">{{range legend}}<li><span class="swatch {{.Class}}"></span>{{.Name}}</li>{{end}}</ul>
{{if .Blocks}}<table class="blocks"><thead><tr><th>Node</th><th>Block</th><th>Iter.</th><th>Item</th><th>Attempt</th><th>State</th><th>Executor</th><th>Ran</th><th>Reason</th></tr></thead><tbody>
{{range .Blocks}}<tr><td>{{.Alias}}</td><td>{{.Block}}@{{.BlockVersion}}</td><td>{{.Iteration}}</td><td>{{index .Index}}</td><td>{{.Attempt}}</td><td><span class="badge {{stateClass .State}}">{{.State}}</span></td><td>{{who .Executor}}</td><td>{{ran .StartedAt .EndedAt}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{end}}
</section>{{end}}
<h2>Event log</h2>{{if lt .EventsShown .EventsTotal}}<p class="meta">The first {{.EventsShown}} of {{.EventsTotal}} events; <code>openoma-host events {{.Top.ExecutionID}}</code> prints them all.</p>{{end}}
<table id="events"><thead><tr><th>#</th><th>Time</th><th>Execution</th><th>Seq</th><th>Event</th><th>By</th><th>Payload</th></tr></thead><tbody>
{{range .Events}}<tr><td>{{.Position}}</td><td>{{clock .Timestamp}}</td><td>{{if .Label}}{{.Label}}{{else}}<code>{{short .ExecutionID}}</code>{{end}}</td><td>{{.Sequence}}</td><td>{{.EventType}}</td><td>{{who .Executor}}</td><td><code>{{.Payload}}</code></td></tr>
{{end}}</tbody></table>
{{template "foot"}}{{end}}
`))

// stylesheet is the console's own rules, on top of the inbox's: the state
// colours come from the graph's palette so badges, legend and nodes agree.
func stylesheet() string {
	var b strings.Builder
	b.WriteString(`header a.alt{font-weight:normal;margin-left:1em;opacity:.8}main{max-width:80em}
.filters label{margin-right:1em}.filters input{width:12em}
.badge{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.85em;border:1px solid #9e9e9e}
figure.graph{margin:1em 0;overflow-x:auto;background:#fff;border:1px solid #ddd;padding:.5em}
figure.graph svg{max-width:100%;height:auto}.legend{list-style:none;padding:0;font-size:.85em}
.legend li{display:inline-block;margin-right:1em}.swatch{display:inline-block;width:1em;height:1em;border:1px solid #9e9e9e;vertical-align:middle;margin-right:.3em}
table.blocks td,#events td{font-size:.9em}#events code{word-break:break-all}.meta{color:#57606a}
.verdicts th{width:8em}
`)
	for _, s := range []execution.State{execution.StateCompleted, execution.StateFailed, execution.StateInProgress,
		execution.StatePending, execution.StateCancelled, execution.StateSkipped, ""} {
		fill, text := graph.Colour(s)
		fmt.Fprintf(&b, ".%s{background:%s;color:%s}\n", stateClass(s), fill, text)
	}
	return b.String()
}

func (s *Server) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(stylesheet()))
}

func (s *Server) page(w http.ResponseWriter, status int, name string, d any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("console: rendering a page", "page", name, "error", err)
		http.Error(w, "the console could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
