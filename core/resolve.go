package core

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// nameIndex finds entities by kind and name across every file of a load.
type nameIndex map[Kind]map[string][]Ref

func buildNameIndex(drafts []*draft) nameIndex {
	idx := nameIndex{KindWorkBlock: {}, KindFlow: {}, KindContract: {}}
	for _, dr := range drafts {
		if dr.entity == nil || !dr.named {
			continue
		}
		name := entityName(dr.entity)
		idx[dr.entity.Kind()][name] = append(idx[dr.entity.Kind()][name], dr.entity.Ref())
	}
	return idx
}

func entityName(e Entity) string {
	switch t := e.(type) {
	case *WorkBlock:
		return t.Name
	case *Flow:
		return t.Name
	case *Contract:
		return t.Name
	}
	return ""
}

// resolve finds the entity a by-name reference pins, or says why it cannot.
func (idx nameIndex) resolve(kind Kind, ref reference) (uuid.UUID, error) {
	refs := idx[kind][ref.name]
	label := kind.label()
	if len(refs) == 0 {
		return uuid.Nil, fmt.Errorf("no %s named %q%s", label, ref.name, idx.similar(kind, ref.name))
	}
	var ids []uuid.UUID
	for _, r := range refs {
		if r.Version == ref.version && !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		versions := make([]int, 0, len(refs))
		for _, r := range refs {
			versions = append(versions, r.Version)
		}
		slices.Sort(versions)
		versions = slices.Compact(versions)
		vs := make([]string, len(versions))
		for i, v := range versions {
			vs[i] = strconv.Itoa(v)
		}
		return uuid.Nil, fmt.Errorf("no %s %q (known versions of %q: %s)", label, fmt.Sprintf("%s@%d", ref.name, ref.version), ref.name, strings.Join(vs, ", "))
	default:
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return cmp.Compare(a.String(), b.String()) })
		return uuid.Nil, fmt.Errorf("%q is ambiguous: %d %ss of that name and version have different ids (%s and %s); refer to one as \"<id>@%d\"",
			fmt.Sprintf("%s@%d", ref.name, ref.version), len(ids), label, ids[0], ids[1], ref.version)
	}
}

// similar suggests a known name that differs from name only in case or by
// a typo.
func (idx nameIndex) similar(kind Kind, name string) string {
	best, bestDist := "", 3
	for known := range idx[kind] {
		d := EditDistance(strings.ToLower(name), strings.ToLower(known))
		if d < bestDist || d == bestDist && known < best {
			best, bestDist = known, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// resolveAll settles every pending reference of every draft, reporting the
// ones that do not resolve in the file that holds them.
func resolveAll(files []*fileDecoder) {
	var all []*draft
	for _, f := range files {
		all = append(all, f.drafts...)
	}
	idx := buildNameIndex(all)
	for _, f := range files {
		for _, dr := range f.drafts {
			for _, p := range dr.refs {
				id, err := idx.resolve(p.kind, p.ref)
				if err != nil {
					dr.bad = true
					f.add(&FieldError{File: f.name, Line: p.line, Entity: dr.label, Path: p.path, Message: err.Error()})
					continue
				}
				p.assign(id)
			}
		}
	}
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
