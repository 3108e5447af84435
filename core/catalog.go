package core

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Source says where a definition was read from, for error messages.
type Source struct {
	File string // path as given to the loader; "" for definitions built in code
	Line int    // 1-based line of the entity in File, when known
}

// Catalog holds every version of every WorkBlock, Flow and Contract that was
// loaded or added. It is the unit of validation (references must resolve
// inside it) and what the host runs definitions from. A Catalog is not safe
// for concurrent mutation; once built it may be read concurrently.
type Catalog struct {
	blocks    map[Ref]*WorkBlock
	flows     map[Ref]*Flow
	contracts map[Ref]*Contract
	sources   map[kindRef]Source
}

type kindRef struct {
	kind Kind
	ref  Ref
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{
		blocks:    map[Ref]*WorkBlock{},
		flows:     map[Ref]*Flow{},
		contracts: map[Ref]*Contract{},
		sources:   map[kindRef]Source{},
	}
}

// AddWorkBlock adds b. Adding a second definition with the same (id,
// version) is an error: (id, version) is immutable once created (§2.5).
func (c *Catalog) AddWorkBlock(b WorkBlock, src Source) error {
	if err := c.claim(KindWorkBlock, b.Ref(), src); err != nil {
		return err
	}
	c.blocks[b.Ref()] = &b
	return nil
}

// AddFlow adds f; see AddWorkBlock.
func (c *Catalog) AddFlow(f Flow, src Source) error {
	if err := c.claim(KindFlow, f.Ref(), src); err != nil {
		return err
	}
	c.flows[f.Ref()] = &f
	return nil
}

// AddContract adds k; see AddWorkBlock.
func (c *Catalog) AddContract(k Contract, src Source) error {
	if err := c.claim(KindContract, k.Ref(), src); err != nil {
		return err
	}
	c.contracts[k.Ref()] = &k
	return nil
}

func (c *Catalog) claim(kind Kind, ref Ref, src Source) error {
	key := kindRef{kind, ref}
	if prev, ok := c.sources[key]; ok {
		where := prev.File
		if where == "" {
			where = "code"
		}
		return fmt.Errorf("%s %s v%d is defined twice (first in %s)", kind, ref.ID, ref.Version, where)
	}
	c.sources[key] = src
	return nil
}

// WorkBlock returns the block with the given id and version.
func (c *Catalog) WorkBlock(id uuid.UUID, version int) (*WorkBlock, bool) {
	b, ok := c.blocks[Ref{id, version}]
	return b, ok
}

// Flow returns the flow with the given id and version.
func (c *Catalog) Flow(id uuid.UUID, version int) (*Flow, bool) {
	f, ok := c.flows[Ref{id, version}]
	return f, ok
}

// Contract returns the contract with the given id and version.
func (c *Catalog) Contract(id uuid.UUID, version int) (*Contract, bool) {
	k, ok := c.contracts[Ref{id, version}]
	return k, ok
}

// Source returns where the entity of the given kind and ref was read from.
func (c *Catalog) Source(kind Kind, ref Ref) Source { return c.sources[kindRef{kind, ref}] }

// WorkBlocks returns every block version, ordered by name then version.
func (c *Catalog) WorkBlocks() []*WorkBlock {
	return sortedValues(c.blocks, func(b *WorkBlock) (string, int) { return b.Name, b.Version })
}

// Flows returns every flow version, ordered by name then version.
func (c *Catalog) Flows() []*Flow {
	return sortedValues(c.flows, func(f *Flow) (string, int) { return f.Name, f.Version })
}

// Contracts returns every contract version, ordered by name then version.
func (c *Catalog) Contracts() []*Contract {
	return sortedValues(c.contracts, func(k *Contract) (string, int) { return k.Name, k.Version })
}

func sortedValues[T any](m map[Ref]*T, key func(*T) (string, int)) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *T) int {
		an, av := key(a)
		bn, bv := key(b)
		return cmp.Or(cmp.Compare(an, bn), cmp.Compare(av, bv))
	})
	return out
}

// Counts returns how many block, flow and contract versions c holds.
func (c *Catalog) Counts() (blocks, flows, contracts int) {
	return len(c.blocks), len(c.flows), len(c.contracts)
}

// ParseRef splits a reference as people write it — "Name@3", "Name",
// "<uuid>@3" or "<uuid>" — into its name-or-id part and version (0 when
// no version is given).
func ParseRef(s string) (nameOrID string, version int, err error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s, 0, nil
	}
	v, err := strconv.Atoi(s[at+1:])
	if err != nil || v < 1 {
		return "", 0, fmt.Errorf("reference %q: version after @ must be a positive integer", s)
	}
	return s[:at], v, nil
}

// LookupWorkBlock finds a block by "name@version", "id@version", "name" or
// "id"; without a version, the highest version is taken.
func (c *Catalog) LookupWorkBlock(ref string) (*WorkBlock, error) {
	return lookup(c.blocks, KindWorkBlock, ref, func(b *WorkBlock) string { return b.Name })
}

// LookupFlow finds a flow; see LookupWorkBlock.
func (c *Catalog) LookupFlow(ref string) (*Flow, error) {
	return lookup(c.flows, KindFlow, ref, func(f *Flow) string { return f.Name })
}

// LookupContract finds a contract; see LookupWorkBlock.
func (c *Catalog) LookupContract(ref string) (*Contract, error) {
	return lookup(c.contracts, KindContract, ref, func(k *Contract) string { return k.Name })
}

func lookup[T any](m map[Ref]*T, kind Kind, ref string, name func(*T) string) (*T, error) {
	key, version, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	id, idErr := uuid.Parse(key)
	var best *T
	bestRef := Ref{}
	for r, v := range m {
		if idErr == nil && r.ID != id || idErr != nil && name(v) != key {
			continue
		}
		if version != 0 && r.Version != version {
			continue
		}
		if best != nil && r.ID != bestRef.ID {
			return nil, fmt.Errorf("%s %q is ambiguous: two entities share that name (ids %s and %s)", kind, ref, bestRef.ID, r.ID)
		}
		if best == nil || r.Version > bestRef.Version {
			best, bestRef = v, r
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no %s %q in the catalog", kind, ref)
	}
	return best, nil
}

// Add adds an entity of any kind; see AddWorkBlock.
func (c *Catalog) Add(e Entity, src Source) error {
	switch t := e.(type) {
	case *WorkBlock:
		return c.AddWorkBlock(*t, src)
	case *Flow:
		return c.AddFlow(*t, src)
	case *Contract:
		return c.AddContract(*t, src)
	}
	return fmt.Errorf("cannot add %T to a catalog", e)
}

// Entities returns every entity: blocks, then flows, then contracts, each
// ordered by name then version.
func (c *Catalog) Entities() []Entity {
	out := make([]Entity, 0, len(c.blocks)+len(c.flows)+len(c.contracts))
	for _, b := range c.WorkBlocks() {
		out = append(out, b)
	}
	for _, f := range c.Flows() {
		out = append(out, f)
	}
	for _, k := range c.Contracts() {
		out = append(out, k)
	}
	return out
}
