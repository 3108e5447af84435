package core

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const blockYAML = `
kind: work_block
name: Code Review
inputs: [{name: pull_request_url}]
outputs: [{name: verdict}]
`

// Every problem is reported with file, line, entity and field path; several
// problems in one load are all reported.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  []string
	}{
		{
			name:  "unknown field with a suggestion",
			files: []File{{"b.yaml", []byte("kind: work_block\nname: X\ninputs: []\nexecution_hint: [a]\n")}},
			want:  []string{`b.yaml:4: block "X" v1: execution_hint: unknown field "execution_hint" in a work block (did you mean "execution_hints"?)`},
		},
		{
			name:  "unknown field in a nested object",
			files: []File{{"f.json", []byte(`{"name": "F", "nodes": [{"alias": "a", "block": "X@1", "metdata": {}}], "edges": []}`)}},
			want: []string{
				`f.json:1: flow "F" v1: nodes[0].metdata: unknown field "metdata" in a node (did you mean "metadata"?)`,
				`f.json:1: flow "F" v1: nodes[0].block: no block named "X"`,
			},
		},
		{
			name: "unpinned, unknown version, unknown name, typo",
			files: []File{{"blocks.yaml", []byte(blockYAML)}, {"flows/sprint.yaml", []byte(`
name: Sprint
nodes:
  - {alias: a, block: Code Review}
  - {alias: b, block: Code Review@2}
  - {alias: c, block: Foo@1}
  - {alias: d, block: Code Reveiw@1}
  - {alias: e, block: "Code Review@0"}
edges: []
`)}},
			want: []string{
				`flows/sprint.yaml:4: flow "Sprint" v1: nodes[0].block: "Code Review" does not pin a version: write "Code Review@<version>" (every reference pins a version)`,
				`flows/sprint.yaml:5: flow "Sprint" v1: nodes[1].block: no block "Code Review@2" (known versions of "Code Review": 1)`,
				`flows/sprint.yaml:6: flow "Sprint" v1: nodes[2].block: no block named "Foo"`,
				`flows/sprint.yaml:7: flow "Sprint" v1: nodes[3].block: no block named "Code Reveiw" (did you mean "Code Review"?)`,
				`flows/sprint.yaml:8: flow "Sprint" v1: nodes[4].block: "Code Review@0": the version after @ must be a positive integer`,
			},
		},
		{
			name:  "malformed JSON names its line",
			files: []File{{"bad.json", []byte("{\n  \"name\": \"X\",\n  \"inputs\": [,]\n}")}},
			want:  []string{`bad.json:3: malformed JSON: invalid character ',' looking for beginning of value`},
		},
		{
			name:  "truncated JSON",
			files: []File{{"cut.json", []byte("{\n  \"name\": \"X\",\n")}},
			want:  []string{`cut.json:3: malformed JSON: unexpected end of input`},
		},
		{
			name:  "malformed YAML names its line",
			files: []File{{"bad.yaml", []byte("name: X\ninputs:\n  - name: a\n bad: [\n")}},
			want:  []string{`bad.yaml:3: malformed YAML: yaml: line 3: did not find expected key`},
		},
		{
			name:  "empty JSON file",
			files: []File{{"empty.json", []byte("  \n")}},
			want:  []string{`empty.json:1: empty file: expected a JSON object or list`},
		},
		{
			name:  "duplicate key",
			files: []File{{"dup.json", []byte("{\"name\": \"X\",\n \"name\": \"Y\", \"inputs\": []}")}},
			want:  []string{`dup.json:2: key "name" appears twice in one object (first on line 1)`},
		},
		{
			name:  "duplicate key in YAML",
			files: []File{{"dup.yaml", []byte("name: X\ninputs: []\nname: Y\n")}},
			want:  []string{`dup.yaml:3: key "name" appears twice in one mapping (first on line 1)`},
		},
		{
			name: "defined twice across files",
			files: []File{
				{"a.yaml", []byte(blockYAML)},
				{"b.yaml", []byte("# copy\n" + blockYAML)},
			},
			want: []string{`b.yaml:3: block "Code Review" v1: is defined twice: id 3e20e46f-9511-5563-a44a-70635302808e version 1 was already loaded from a.yaml:2`},
		},
		{
			name:  "kind cannot be told",
			files: []File{{"x.yaml", []byte("name: X\ndescription: what am I\n")}},
			want:  []string{`x.yaml:1: entity #1: cannot tell whether this is a work block, flow or contract: add ` + "`kind: work_block`" + ` (or flow, contract)`},
		},
		{
			name:  "kind ambiguous",
			files: []File{{"x.yaml", []byte("name: X\nnodes: []\ninputs: []\n")}},
			want:  []string{`x.yaml:1: entity #1: cannot tell the kind: it has nodes and inputs; add a kind field`},
		},
		{
			name:  "unknown kind",
			files: []File{{"x.yaml", []byte("kind: Pipeline\nname: X\n")}},
			want:  []string{`x.yaml:1: entity #1: kind: unknown kind "Pipeline" (want work_block, flow or contract)`},
		},
		{
			name: "edges by unknown alias, node without id or alias, both block and target",
			files: []File{{"blocks.yaml", []byte(blockYAML)}, {"f.yaml", []byte(`
name: F
nodes:
  - {alias: a, block: Code Review@1}
  - {block: Code Review@1}
  - {alias: c, block: Code Review@1, target_id: 3e20e46f-9511-5563-a44a-70635302808e}
  - {alias: a, block: Code Review@1}
edges:
  - {to: a}
  - {from: a, to: z}
  - {from: a}
  - {from: a, to: a, source_id: 3e20e46f-9511-5563-a44a-70635302808e}
`)}},
			want: []string{
				`f.yaml:5: flow "F" v1: nodes[1]: a node needs an id or an alias`,
				`f.yaml:6: flow "F" v1: nodes[2].block: give either block or target_id and target_version, not both`,
				`f.yaml:7: flow "F" v1: nodes[3].alias: alias "a" is already used by nodes[0]`,
				`f.yaml:10: flow "F" v1: edges[1].to: no node with alias "z" in this flow (aliases: a, c)`,
				`f.yaml:11: flow "F" v1: edges[2].to: required: the alias of the target node (or target_id)`,
				`f.yaml:12: flow "F" v1: edges[3].from: give either from (a node alias) or source_id, not both`,
			},
		},
		{
			name: "contract problems",
			files: []File{{"k.yaml", []byte(`
kind: contract
name: K
version: 1.5
id: not-a-uuid
work_flows: [{flow_id: 3e20e46f-9511-5563-a44a-70635302808e}]
required_outcomes: [{name: Shipped}, {name: Shipped}]
assessment_bindings:
  - {required_outcome: Shiped, assessment_flow: F@1, test_flows: [], test_flow_refs: []}
  - {assessment_flow: "F"}
`)}},
			want: []string{
				`k.yaml:4: contract "K": version: must be an integer, not 1.5`,
				`k.yaml:5: contract "K": id: "not-a-uuid" is not a UUID`,
				`k.yaml:6: contract "K": work_flows[0].flow_version: required: every reference pins a version`,
				`k.yaml:7: contract "K": required_outcomes[1].name: outcome "Shipped" is declared twice (also required_outcomes[0]); give each a distinct name or an id`,
				`k.yaml:9: contract "K": assessment_bindings[0].required_outcome: no required outcome named "Shiped" in this contract (has: "Shipped", "Shipped")`,
				`k.yaml:9: contract "K": assessment_bindings[0].test_flows: give test_flows or test_flow_refs, not both`,
				`k.yaml:9: contract "K": assessment_bindings[0].assessment_flow: no flow named "F"`,
				`k.yaml:10: contract "K": assessment_bindings[1].required_outcome: required: the name of the outcome this binding assesses`,
				`k.yaml:10: contract "K": assessment_bindings[1].assessment_flow: "F" does not pin a version: write "F@<version>" (every reference pins a version)`,
			},
		},
		{
			name: "ambiguous name",
			files: []File{
				{"a.yaml", []byte("kind: work_block\nname: B\nid: 11111111-1111-4111-8111-111111111111\n")},
				{"b.yaml", []byte("kind: work_block\nname: B\nid: 22222222-2222-4222-8222-222222222222\n")},
				{"f.yaml", []byte("name: F\nnodes: [{alias: n, block: B@1}]\n")},
			},
			want: []string{`f.yaml:2: flow "F" v1: nodes[0].block: "B@1" is ambiguous: 2 blocks of that name and version have different ids (11111111-1111-4111-8111-111111111111 and 22222222-2222-4222-8222-222222222222); refer to one as "<id>@1"`},
		},
		{
			name:  "wrong types",
			files: []File{{"t.json", []byte(`{"kind": "work_block", "name": 7, "inputs": {}, "outputs": [{"name": "o", "required": "yes", "schema": 3}], "metadata": []}`)}},
			want: []string{
				`t.json:1: block #1: name: must be a string, not a number`,
				`t.json:1: block #1: inputs: must be a list, not an object`,
				`t.json:1: block #1: outputs[0].required: must be true or false, not a string`,
				`t.json:1: block #1: outputs[0].schema: must be an object or null, not a number`,
				`t.json:1: block #1: metadata: must be an object, not a list`,
			},
		},
		{
			name:  "YAML values JSON cannot hold",
			files: []File{{"n.yaml", []byte("kind: flow\nname: F\nexpected_outcome: .nan\n")}},
			want:  []string{`n.yaml:3: ".nan" is not a finite number (JSON has no infinity or NaN)`},
		},
		{
			name:  "YAML alias bomb",
			files: []File{{"bomb.yaml", []byte("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n")}},
			want:  []string{`bomb.yaml:5: aliases expand to more than 100000 values`},
		},
		{
			name:  "nested too deeply",
			files: []File{{"deep.json", []byte(strings.Repeat("[", 1001) + strings.Repeat("]", 1001))}},
			want:  []string{`deep.json:1: nested more than 1000 levels deep`},
		},
		{
			name:  "a document that is not an object",
			files: []File{{"s.yaml", []byte("- just a string\n")}},
			want:  []string{`s.yaml:1: entity #1: expected an object (a work block, flow or contract), not a string`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := LoadFiles(tt.files...)
			if cat == nil {
				t.Fatal("LoadFiles returned no catalog")
			}
			wantErrors(t, err, tt.want...)
		})
	}
}

// A bad entity stays out of the catalog; the good ones beside it load.
func TestBadEntityIsLeftOut(t *testing.T) {
	cat, err := LoadFiles(File{"m.yaml", []byte(blockYAML + "---\nkind: work_block\nname: Broken\nversoin: 2\n")})
	if err == nil {
		t.Fatal("want an error for the misspelt field")
	}
	if b, _, _ := cat.Counts(); b != 1 {
		t.Errorf("catalog holds %d blocks; want only the good one", b)
	}
}

func TestErrorsAreInspectable(t *testing.T) {
	_, err := LoadFiles(File{"f.yaml", []byte("name: F\nnodes: [{alias: n, block: Nope@1}]\n")})
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(*FieldError) failed on %v", err)
	}
	want := FieldError{File: "f.yaml", Line: 2, Entity: `flow "F" v1`, Path: "nodes[0].block", Message: `no block named "Nope"`}
	if *fe != want {
		t.Errorf("error = %+v\nwant    %+v", *fe, want)
	}
	out, _ := json.Marshal(fe)
	if string(out) != `{"file":"f.yaml","line":2,"entity":"flow \"F\" v1","path":"nodes[0].block","message":"no block named \"Nope\""}` {
		t.Errorf("JSON form = %s", out)
	}
}

func TestKindField(t *testing.T) {
	for _, kind := range []string{"work_block", "WorkBlock", "workblock", "flow", "Flow", "contract", "Contract"} {
		k, err := ParseKind(kind)
		if err != nil {
			t.Errorf("ParseKind(%q): %v", kind, err)
			continue
		}
		doc := "kind: " + kind + "\nname: X\n"
		entities, err := DecodeDocument("x.yaml", []byte(doc))
		if err != nil || len(entities) != 1 || entities[0].Kind() != k {
			t.Errorf("kind %q: got %v, %v", kind, entities, err)
		}
	}
}

func TestUnmarshalJSONIsStrict(t *testing.T) {
	var f Flow
	err := json.Unmarshal([]byte(`{"name": "F", "nodes": [], "edgez": []}`), &f)
	if err == nil || err.Error() != `flow "F" v1: edgez: unknown field "edgez" in a flow (did you mean "edges"?)` {
		t.Errorf("err = %v", err)
	}
	var b WorkBlock
	if err := json.Unmarshal([]byte(`{"kind": "flow", "name": "F"}`), &b); err == nil {
		t.Error("decoding a flow document into a WorkBlock should fail")
	}
	data, err := json.Marshal(WorkBlock{Name: "B", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &b); err != nil || b.Name != "B" || b.Inputs == nil {
		t.Errorf("round trip through encoding/json: %+v, %v", b, err)
	}
}

func TestEncodeJSON(t *testing.T) {
	if _, err := EncodeJSON((*Flow)(nil)); err == nil {
		t.Error("encoding a nil flow should fail")
	}
	one, _ := EncodeJSON(&WorkBlock{Name: "B", Version: 1})
	if one[0] != '{' {
		t.Errorf("one entity should encode as an object: %s", one)
	}
	two, _ := EncodeJSON(&WorkBlock{Name: "B", Version: 1}, &Flow{Name: "F", Version: 1})
	if two[0] != '[' {
		t.Errorf("two entities should encode as a list: %s", two)
	}
	var generic []map[string]any
	if err := json.Unmarshal(two, &generic); err != nil {
		t.Fatal(err)
	}
	if _, has := generic[0]["kind"]; has {
		t.Error("canonical JSON must not carry a kind field (Python's models reject unknown fields)")
	}
}
