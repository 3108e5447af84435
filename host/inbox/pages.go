package inbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/tasks"
)

// pageData is what every template sees.
type pageData struct {
	Title  string
	Error  string
	Notice string
	CSRF   string
	Me     string
	Tasks  []tasks.Task
	Task   *tasks.Task
	Fields []field
	Values []kv
	Ctx    []kv
	Result []kv
	// Problems lists what was wrong with a refused completion.
	Problems []string
}

// field is one output to fill in the form.
type field struct {
	Name, Description, Schema, Value string
	Required, Boolean, Multiline     bool
	Enum                             []string
}

type kv struct{ Key, Value string }

var funcs = template.FuncMap{
	"short": func(t tasks.Task) string { return t.ID.String()[:8] },
	"when": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04")
	},
	"for": func(t tasks.Task) string {
		switch {
		case t.Assignee != "":
			return t.Assignee
		case len(t.CandidateGroups) > 0:
			return "group " + strings.Join(t.CandidateGroups, ", ")
		}
		return "anyone"
	},
}

var pages = template.Must(template.New("").Funcs(funcs).Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · openoma inbox</title>
<link rel="stylesheet" href="/style.css"></head><body>
<header><a href="/">openoma inbox</a> <a class="alt" href="/executions">executions</a>{{if .Me}} <span class="me">acting as {{.Me}}</span>{{end}}</header>
<main>{{if .Notice}}<p class="notice" role="status">{{.Notice}}</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "denied"}}{{template "head" .}}<h1>{{.Title}}</h1>{{template "foot"}}{{end}}

{{define "list"}}{{template "head" .}}<h1>Open tasks</h1>
{{if .Tasks}}<table><thead><tr><th>Task</th><th>What</th><th>Kind</th><th>For</th><th>Due</th></tr></thead><tbody>
{{range .Tasks}}<tr class="{{if .Overdue}}overdue{{end}}"><td><a href="/task/{{.ID}}">{{short .}}</a></td><td>{{.Title}}</td><td>{{.Kind}}</td><td>{{for .}}</td><td>{{when .Due}}{{if .Overdue}} <strong>overdue</strong>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p id="empty">No open tasks.</p>{{end}}
{{template "foot"}}{{end}}

{{define "task"}}{{template "head" .}}{{with .Task}}
<h1>{{.Title}}</h1>
<p class="meta">{{.Kind}} task <code>{{.ID}}</code> · {{.State}} · for {{for .}} · due {{when .Due}}{{if .Overdue}} <strong>overdue</strong>{{end}}</p>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Instructions}}<p class="instructions">{{.Instructions}}</p>{{end}}
{{end}}
{{if .Values}}<h2>Inputs</h2><dl>{{range .Values}}<dt>{{.Key}}</dt><dd><code>{{.Value}}</code></dd>{{end}}</dl>{{end}}
{{if .Ctx}}<h2>Context</h2><dl>{{range .Ctx}}<dt>{{.Key}}</dt><dd><code>{{.Value}}</code></dd>{{end}}</dl>{{end}}
{{if .Problems}}<div class="error" role="alert" id="problems"><p>Not recorded:</p><ul>{{range .Problems}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
{{if .Task.Ended}}<h2>Result</h2><dl>{{range .Result}}<dt>{{.Key}}</dt><dd><code>{{.Value}}</code></dd>{{end}}</dl>
{{else}}
<form method="post" action="/task/{{.Task.ID}}/complete" id="complete">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{range .Fields}}<div class="field"><label for="out-{{.Name}}">{{.Name}}{{if .Required}} <span class="req">(required)</span>{{end}}</label>
{{if .Description}}<small>{{.Description}}</small>{{end}}
{{if .Boolean}}<span class="choice"><label><input type="radio" name="out:{{.Name}}" value="true"{{if eq .Value "true"}} checked{{end}}> yes</label>
<label><input type="radio" name="out:{{.Name}}" value="false"{{if eq .Value "false"}} checked{{end}}> no</label></span>
{{else if .Enum}}<select id="out-{{.Name}}" name="out:{{.Name}}"><option value="">—</option>{{$v := .Value}}{{range .Enum}}<option{{if eq . $v}} selected{{end}}>{{.}}</option>{{end}}</select>
{{else if .Multiline}}<textarea id="out-{{.Name}}" name="out:{{.Name}}" rows="4">{{.Value}}</textarea>
{{else}}<input id="out-{{.Name}}" name="out:{{.Name}}" value="{{.Value}}">{{end}}
{{if .Schema}}<small class="schema">schema <code>{{.Schema}}</code></small>{{end}}</div>
{{end}}<button type="submit">{{if eq .Task.Kind "decision"}}Answer{{else}}Complete{{end}}</button>
</form>
{{if and (eq .Task.Kind "block") (ne .Task.State "claimed")}}<form method="post" action="/task/{{.Task.ID}}/claim" id="claim">
<input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">Claim</button></form>{{end}}
{{end}}
{{template "foot"}}{{end}}
`))

const stylesheet = `body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#24292f;color:#fff;padding:.6em 1.2em}header a{color:#fff;font-weight:600;text-decoration:none}header a.alt{font-weight:normal;margin-left:1em;opacity:.8}
.me{float:right;opacity:.8}main{max-width:56em;margin:1.2em auto;padding:0 1.2em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd}
tr.overdue td{background:#fff4e5}.error{background:#ffebe9;border:1px solid #cf222e;padding:.5em .8em}
.notice{background:#dafbe1;border:1px solid #1a7f37;padding:.5em .8em}.field{margin:.8em 0}
.field label{display:block;font-weight:600}.field input,.field textarea,.field select{width:100%;box-sizing:border-box;padding:.3em}
.choice label{display:inline;font-weight:normal;margin-right:1em}.choice input{width:auto}
small{display:block;color:#57606a}.req{color:#cf222e;font-weight:normal}button{padding:.4em 1.2em;margin-top:.5em}
form#claim{margin-top:1em}dt{font-weight:600}dd{margin:0 0 .4em 1em}`

func (s *Server) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(stylesheet))
}

// page renders a template with status.
func (s *Server) page(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("inbox: render", "page", name, "error", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) base(r *http.Request, title string) pageData {
	d := pageData{Title: title, CSRF: s.csrf(r)}
	if a, err := s.actor(r); err == nil {
		d.Me = a.Person
	}
	return d
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	d := s.base(r, "Open tasks")
	list, err := s.tasks.List(r.Context(), tasks.Filter{})
	if err != nil {
		d.Error = err.Error()
		s.page(w, http.StatusInternalServerError, "list", d)
		return
	}
	d.Tasks = forPersonFirst(list, current(r).caller)
	if done := r.URL.Query().Get("done"); done != "" {
		d.Notice = "Task " + done + " recorded."
	}
	s.page(w, http.StatusOK, "list", d)
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	t, err := s.tasks.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		d := s.base(r, "Task")
		d.Error = err.Error()
		s.page(w, status(err), "denied", d)
		return
	}
	s.page(w, http.StatusOK, "task", s.taskData(r, t, nil, nil))
}

// taskData fills the task page; typed are the values a refused post had.
func (s *Server) taskData(r *http.Request, t tasks.Task, typed map[string]string, problems []string) pageData {
	d := s.base(r, t.Title)
	d.Task = &t
	d.Values = kvs(t.Inputs)
	if t.Context != nil {
		d.Ctx = append(kvs(t.Context.FlowInputs), kvs(t.Context.SourceOutputs)...)
	}
	d.Result = kvs(t.Result)
	d.Problems = problems
	for _, p := range t.Outputs {
		f := field{Name: p.Name, Description: p.Description, Required: p.Required, Value: typed[p.Name]}
		if len(p.Schema) > 0 {
			b, _ := json.Marshal(p.Schema)
			f.Schema = string(b)
		}
		switch p.Schema["type"] {
		case "boolean":
			f.Boolean = true
		case "object", "array":
			f.Multiline = true
		}
		if enum, ok := p.Schema["enum"].([]any); ok {
			for _, e := range enum {
				if s, ok := e.(string); ok {
					f.Enum = append(f.Enum, s)
				}
			}
		}
		if p.Schema == nil || p.Schema["type"] == "string" && f.Enum == nil {
			f.Multiline = true
		}
		d.Fields = append(d.Fields, f)
	}
	return d
}

func kvs(m map[string]any) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		b, _ := json.Marshal(v)
		out = append(out, kv{k, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// complete records the form's outputs, or shows the form again with what
// was wrong (nothing recorded).
func (s *Server) complete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	typed := map[string]string{}
	for key, values := range r.PostForm {
		if name, ok := strings.CutPrefix(key, "out:"); ok && len(values) > 0 && strings.TrimSpace(values[0]) != "" {
			typed[name] = values[0]
		}
	}
	a, err := s.actor(r)
	var done tasks.Task
	if err == nil {
		done, err = s.tasks.Complete(r.Context(), id, tasks.CompleteInput{Text: typed}, a)
	}
	if err == nil {
		http.Redirect(w, r, "/?done="+done.ID.String()[:8], http.StatusSeeOther)
		return
	}
	t, terr := s.tasks.Show(r.Context(), id)
	if terr != nil {
		d := s.base(r, "Task")
		d.Error = err.Error()
		s.page(w, status(err), "denied", d)
		return
	}
	var oe *tasks.OutputError
	var problems []string
	if errors.As(err, &oe) {
		problems = oe.Problems
	} else {
		problems = []string{err.Error()}
	}
	s.page(w, status(err), "task", s.taskData(r, t, typed, problems))
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a, err := s.actor(r)
	var claimed tasks.Task
	if err == nil {
		claimed, err = s.tasks.Claim(r.Context(), id, a)
	}
	if err != nil {
		t, terr := s.tasks.Show(r.Context(), id)
		if terr != nil {
			d := s.base(r, "Task")
			d.Error = err.Error()
			s.page(w, status(err), "denied", d)
			return
		}
		s.page(w, status(err), "task", s.taskData(r, t, nil, []string{err.Error()}))
		return
	}
	http.Redirect(w, r, "/task/"+claimed.ID.String(), http.StatusSeeOther)
}

// forPersonFirst orders tasks as a person works through them: theirs, then
// their groups', then anyone's, then the rest (which they may only read);
// each part keeps the service's order (oldest first).
func forPersonFirst(list []tasks.Task, me identity.Caller) []tasks.Task {
	rank := func(t tasks.Task) int {
		switch {
		case t.Assignee != "":
			if t.Assignee == me.Person {
				return 0
			}
			return 3
		case len(t.CandidateGroups) > 0:
			for _, g := range me.Groups {
				if slices.Contains(t.CandidateGroups, g) {
					return 1
				}
			}
			return 3
		}
		return 2
	}
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b tasks.Task) int { return rank(a) - rank(b) })
	return out
}
