package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// checker carries one validation run: its options, the resolver, and the
// errors found so far.
type checker struct {
	cfg      config
	resolver Resolver
	errs     core.ErrorList
	// versions, when set (catalog validation), lists the versions held for
	// each id so a bad pin can say which versions exist.
	versions map[kindID][]int
	// sourceOf locates contracts for cycle errors; nil outside Catalog.
	sourceOf func(*core.Contract) core.Source
	// checked caches the outcome of checking each predicate (see
	// predicate), so one repeated on many edges is checked once.
	checked map[checkKey]error
}

type kindID struct {
	kind core.Kind
	id   uuid.UUID
}

func newChecker(r Resolver, opts []Option) *checker {
	if cat, ok := r.(*core.Catalog); ok && cat == nil {
		r = nil // a nil *Catalog in the interface would panic on use
	}
	c := &checker{resolver: r}
	for _, o := range opts {
		o(&c.cfg)
	}
	return c
}

// reporter adds errors for one entity.
type reporter struct {
	c      *checker
	entity string
	src    core.Source
}

func (c *checker) reporter(entity string, src core.Source) *reporter {
	return &reporter{c: c, entity: entity, src: src}
}

func (r *reporter) add(path, format string, args ...any) {
	r.c.errs = append(r.c.errs, &core.FieldError{
		File:    r.src.File,
		Line:    r.src.Line,
		Entity:  r.entity,
		Path:    path,
		Message: fmt.Sprintf(format, args...),
	})
}

// header checks the fields every versioned entity has.
func (r *reporter) header(id uuid.UUID, version int, name string) {
	if id == uuid.Nil {
		r.add("id", "must be set to a UUID")
	}
	if version < 1 {
		r.add("version", "must be 1 or more (versions start at 1), got %d", version)
	}
	if strings.TrimSpace(name) == "" {
		r.add("name", "must not be empty")
	}
}

// label is the word messages use for a kind.
func label(kind core.Kind) string {
	switch kind {
	case core.KindWorkBlock:
		return "block"
	case core.KindFlow:
		return "flow"
	}
	return "contract"
}

// at builds the path of field in element i of list ("nodes[3].target_id");
// with i < 0, of field in list itself ("assessment_bindings[0].assessment_flow_id").
// Paths are built only when an error is reported: validation of a large
// flow stays allocation-light.
func at(list string, i int, field string) string {
	if i < 0 {
		return list + "." + field
	}
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// pin checks one reference to (id, version) of kind, held in fields
// idField and versionField of element i of list: both are set (invariant 2)
// and, with a resolver, the definition exists. It returns whether the
// reference resolved.
func (c *checker) pin(r *reporter, kind core.Kind, id uuid.UUID, version int, list string, i int, idField, versionField string) bool {
	idPath := func() string { return at(list, i, idField) }
	versionPath := func() string { return at(list, i, versionField) }
	ok := true
	if id == uuid.Nil {
		r.add(idPath(), "must name a %s by its id", label(kind))
		ok = false
	}
	if version < 1 {
		r.add(versionPath(), "must pin a %s version (1 or more), got %d", label(kind), version)
		ok = false
	}
	if !ok || c.resolver == nil {
		return false
	}
	if c.exists(kind, id, version) {
		return true
	}
	if have := c.versions[kindID{kind, id}]; len(have) > 0 {
		r.add(versionPath(), "%s is not in the catalog (versions available: %s)", c.describeRef(kind, id, version), joinInts(have))
	} else {
		r.add(idPath(), "no %s with id %s in the catalog", label(kind), id)
	}
	return false
}

func (c *checker) exists(kind core.Kind, id uuid.UUID, version int) bool {
	switch kind {
	case core.KindWorkBlock:
		_, ok := c.resolver.WorkBlock(id, version)
		return ok
	case core.KindFlow:
		_, ok := c.resolver.Flow(id, version)
		return ok
	}
	_, ok := c.resolver.Contract(id, version)
	return ok
}

// describeRef names a missing (id, version) by the name of another version
// of the same id when the catalog has one.
func (c *checker) describeRef(kind core.Kind, id uuid.UUID, version int) string {
	have := c.versions[kindID{kind, id}]
	if len(have) == 0 {
		return fmt.Sprintf("%s %s v%d", label(kind), id, version)
	}
	name := ""
	latest := have[len(have)-1]
	switch kind {
	case core.KindWorkBlock:
		if b, ok := c.resolver.WorkBlock(id, latest); ok {
			name = b.Name
		}
	case core.KindFlow:
		if f, ok := c.resolver.Flow(id, latest); ok {
			name = f.Name
		}
	default:
		if k, ok := c.resolver.Contract(id, latest); ok {
			name = k.Name
		}
	}
	return core.Describe(kind, name, version)
}

// indexVersions lists, for each entity id in cat, the versions held,
// ascending.
func indexVersions(cat *core.Catalog) map[kindID][]int {
	out := map[kindID][]int{}
	for _, b := range cat.WorkBlocks() {
		k := kindID{core.KindWorkBlock, b.ID}
		out[k] = append(out[k], b.Version)
	}
	for _, f := range cat.Flows() {
		k := kindID{core.KindFlow, f.ID}
		out[k] = append(out[k], f.Version)
	}
	for _, k := range cat.Contracts() {
		key := kindID{core.KindContract, k.ID}
		out[key] = append(out[key], k.Version)
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// predicate checks the structured predicate of edge i of f: its format,
// and that its expression type-checks against what the edge can read
// (see edgeDeclarations) and gives a bool. Results are kept per source
// block and expression, since large flows repeat both.
func (c *checker) predicate(r *reporter, f *core.Flow, idx *flowIndex, i int, pred map[string]any) {
	path := func() string { return at("edges", i, "condition.predicate") }
	expr, err := condition.Expression(pred)
	if err != nil {
		r.add(path(), "%v", err)
		return
	}
	key := checkKey{flow: f, expr: expr, source: idx.ends[i].source}
	if src := key.source; src >= 0 {
		key.block, key.source, key.perItem = idx.blocks[src], 0, isForEach(f, src)
	}
	if c.checked == nil {
		c.checked = map[checkKey]error{}
	}
	err, seen := c.checked[key]
	if !seen {
		err = c.check(expr, idx.edgeDeclarations(f, i), condition.WantBool)
		c.checked[key] = err
	}
	if err != nil {
		r.add(path(), "%v", err)
	}
}

// checkKey identifies what a predicate's check depends on: the flow (its
// run inputs), the source (entry, missing, or a node's block) and the
// expression.
type checkKey struct {
	flow    *core.Flow
	block   *core.WorkBlock
	source  int  // entry or missing when block is nil
	perItem bool // the source is a for_each node: its outputs are lists
	expr    string
}

// check type-checks expr with the validation's compiler, created on first
// use so that validating definitions without expressions costs nothing.
func (c *checker) check(expr string, decl condition.Declarations, want condition.Result) error {
	if c.cfg.compiler == nil {
		comp, err := condition.NewCompiler()
		if err != nil {
			return err
		}
		c.cfg.compiler = comp
	}
	return c.cfg.compiler.Check(expr, decl, want)
}

// unique reports repeated names in a list, such as the input ports of a
// block, and empty ones unless the name is optional. name(i) and path(i)
// give the i-th name and its field path; what and plural say what the name
// is ("name", "names"; "alias", "aliases").
func (r *reporter) unique(n int, name, path func(int) string, what, plural string, optional bool) {
	first := make(map[string]int, n)
	for i := range n {
		s := name(i)
		if strings.TrimSpace(s) == "" {
			if !optional {
				r.add(path(i), "must not be empty")
			}
			continue
		}
		if j, dup := first[s]; dup {
			r.add(path(i), "%q is already the %s of %s; %s must be unique", s, what, owner(path(j)), plural)
			continue
		}
		first[s] = i
	}
}

// owner strips the last field from a path: "inputs[1].name" → "inputs[1]".
func owner(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return p
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func quoteAll(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
