package core

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// fileDecoder turns the parsed documents of one file into drafts: entities
// whose local references (node aliases, outcome names) are settled and whose
// references to other entities by name wait for the resolve phase.
type fileDecoder struct {
	name   string
	errs   ErrorList
	drafts []*draft
}

// draft is a decoded entity waiting for its cross-entity references.
type draft struct {
	entity Entity
	file   string
	line   int
	label  string // how errors name the entity
	named  bool   // the header decoded, so others may refer to it by name
	bad    bool   // a problem was reported; the entity is not catalogued
	refs   []*pendingRef
}

// pendingRef is a reference by name to another entity; resolve sets the id.
type pendingRef struct {
	kind   Kind
	ref    reference
	line   int
	path   string
	assign func(uuid.UUID)
}

func (f *fileDecoder) add(e *FieldError) { f.errs = append(f.errs, e) }

// decodeDocument decodes one top-level value: an entity or a list of them.
func (f *fileDecoder) decodeDocument(doc *value) {
	if doc.kind == kindList {
		for _, item := range doc.items {
			f.decodeEntity(item, "")
		}
		return
	}
	f.decodeEntity(doc, "")
}

// decodeEntity decodes one entity. want forces the kind ("" = detect).
func (f *fileDecoder) decodeEntity(v *value, want Kind) *draft {
	dr := &draft{file: f.name, line: v.line}
	f.drafts = append(f.drafts, dr)
	d := &entityDecoder{file: f, draft: dr, label: fmt.Sprintf("entity #%d", len(f.drafts))}
	defer d.finish()
	if v.kind != kindMap {
		d.errorf(v, "", "expected an object (a work block, flow or contract), not %s", v.kind)
		return dr
	}
	kind, ok := d.detectKind(v, want)
	if !ok {
		return dr
	}
	d.label = fmt.Sprintf("%s #%d", kind.label(), len(f.drafts))
	switch kind {
	case KindWorkBlock:
		dr.entity = d.workBlock(v)
	case KindFlow:
		dr.entity = d.flow(v)
	case KindContract:
		dr.entity = d.contract(v)
	}
	return dr
}

var kindSignals = []struct {
	kind   Kind
	fields []string
}{
	{KindFlow, []string{"nodes", "edges", "expected_outcome"}},
	{KindContract, []string{"work_flows", "sub_contracts", "required_outcomes", "assessment_bindings"}},
	{KindWorkBlock, []string{"inputs", "outputs", "execution_hints"}},
}

// detectKind reads the "kind" field or, without one, infers the kind from
// fields only one kind has.
func (d *entityDecoder) detectKind(v *value, want Kind) (Kind, bool) {
	if kv := v.get("kind"); kv != nil {
		k, err := ParseKind(d.text(kv, "kind", false))
		if err != nil {
			d.errorf(kv, "kind", "%v", err)
			return "", false
		}
		if want != "" && k != want {
			d.errorf(kv, "kind", "is %s, but a %s was expected here", k, want)
			return "", false
		}
		return k, true
	}
	if want != "" {
		return want, true
	}
	var found []Kind
	var evidence []string
	for _, s := range kindSignals {
		for _, name := range s.fields {
			if v.get(name) != nil {
				found = append(found, s.kind)
				evidence = append(evidence, name)
				break
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], true
	case 0:
		d.errorf(v, "", "cannot tell whether this is a work block, flow or contract: add `kind: work_block` (or flow, contract)")
	default:
		d.errorf(v, "", "cannot tell the kind: it has %s; add a kind field", strings.Join(evidence, " and "))
	}
	return "", false
}

// header reads the fields every entity has: id, version, name. The label of
// later errors names the entity from here on.
func (d *entityDecoder) header(v *value, kind Kind) (id uuid.UUID, version int, name string) {
	name = d.requiredText(v, "name", "")
	version = 1
	versionOK := true
	if vv := v.get("version"); vv != nil {
		before := len(d.errs)
		version = d.integer(vv, "version")
		versionOK = len(d.errs) == before
	}
	switch {
	case name != "" && versionOK:
		d.label = Describe(kind, name, version)
		d.draft.named = true
	case name != "":
		d.label = fmt.Sprintf("%s %q", kind.label(), name)
	}
	switch iv := v.get("id"); {
	case iv != nil && iv.kind != kindNull:
		id = d.id(iv, "id")
	case name != "":
		id = DeriveID(kind, name)
	}
	return id, version, name
}

func (d *entityDecoder) description(v *value, path string) string {
	if dv := v.get("description"); dv != nil {
		return d.text(dv, join(path, "description"), false)
	}
	return ""
}

var workBlockFields = []string{"kind", "id", "version", "name", "description", "inputs", "outputs", "execution_hints", "metadata"}

func (d *entityDecoder) workBlock(v *value) *WorkBlock {
	d.object(v, "", "a work block", workBlockFields)
	b := &WorkBlock{}
	b.ID, b.Version, b.Name = d.header(v, KindWorkBlock)
	b.Description = d.description(v, "")
	b.Inputs = d.ports(v.get("inputs"), "inputs")
	b.Outputs = d.ports(v.get("outputs"), "outputs")
	b.ExecutionHints = []string{}
	if hv := v.get("execution_hints"); hv != nil {
		b.ExecutionHints = d.texts(hv, "execution_hints")
	}
	b.Metadata = d.metadata(v.get("metadata"), "metadata")
	return b
}

var portFields = []string{"name", "description", "required", "schema", "schema_", "metadata"}

func (d *entityDecoder) ports(v *value, path string) []PortDescriptor {
	out := []PortDescriptor{}
	if v == nil {
		return out
	}
	seen := map[string]int{}
	for i, pv := range d.list(v, path) {
		p := index(path, i)
		if d.object(pv, p, "a port", portFields) == nil {
			continue
		}
		port := PortDescriptor{Required: true}
		port.Name = d.requiredText(pv, "name", p)
		if first, dup := seen[port.Name]; dup && port.Name != "" {
			d.errorf(pv, join(p, "name"), "port %q is declared twice (also %s)", port.Name, index(path, first))
		}
		seen[port.Name] = i
		port.Description = d.description(pv, p)
		if rv := pv.get("required"); rv != nil {
			port.Required = d.boolean(rv, join(p, "required"))
		}
		// Pydantic dumps a field declared as schema_ (alias "schema") under
		// either name, depending on by_alias; accept both, not both at once.
		sv, alt := pv.get("schema"), pv.get("schema_")
		if sv != nil && alt != nil {
			d.errorf(alt, join(p, "schema_"), "give schema or schema_, not both")
		} else if sv == nil {
			sv = alt
		}
		port.Schema = d.optionalObject(sv, join(p, "schema"))
		port.Metadata = d.metadata(pv.get("metadata"), join(p, "metadata"))
		out = append(out, port)
	}
	return out
}

// pin records that path holds a reference; by-id references are set at
// once, by-name ones wait for resolve.
func (d *entityDecoder) pin(kind Kind, ref reference, v *value, path string, assign func(uuid.UUID)) {
	if ref.id != uuid.Nil {
		assign(ref.id)
		return
	}
	d.draft.refs = append(d.draft.refs, &pendingRef{kind: kind, ref: ref, line: v.line, path: path, assign: assign})
}

// pinned reads either a "Name@version" field (nameKey) or the canonical pair
// of id and version fields, and reports which pin it found.
func (d *entityDecoder) pinned(obj *value, path string, kind Kind, nameKey, idKey, versionKey string, id *uuid.UUID, version *int) {
	nv, iv, vv := obj.get(nameKey), obj.get(idKey), obj.get(versionKey)
	switch {
	case nv != nil && (iv != nil || vv != nil):
		d.errorf(nv, join(path, nameKey), "give either %s or %s and %s, not both", nameKey, idKey, versionKey)
	case nv != nil:
		if ref, ok := d.reference(nv, join(path, nameKey), kind); ok {
			*version = ref.version
			d.pin(kind, ref, nv, join(path, nameKey), func(u uuid.UUID) { *id = u })
		}
	case iv == nil:
		d.errorf(obj, join(path, idKey), "required (or %s: \"Name@version\")", nameKey)
	case vv == nil:
		d.errorf(obj, join(path, versionKey), "required: every reference pins a version")
	default:
		*id = d.id(iv, join(path, idKey))
		*version = d.integer(vv, join(path, versionKey))
	}
}
