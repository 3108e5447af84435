package core

// Versioning (§2.5): a new version keeps the entity's id and increments its
// version; the receiver is not modified, so the old version stays valid and
// can live beside the new one in a Catalog.

// NextVersion returns a deep copy of b with its version incremented.
func (b *WorkBlock) NextVersion() WorkBlock {
	n := b.Clone()
	n.Version = b.Version + 1
	return n
}

// NextVersion returns a deep copy of f with its version incremented. Node
// and edge ids are kept, so executions can be compared across versions.
func (f *Flow) NextVersion() Flow {
	n := f.Clone()
	n.Version = f.Version + 1
	return n
}

// NextVersion returns a deep copy of c with its version incremented.
func (c *Contract) NextVersion() Contract {
	n := c.Clone()
	n.Version = c.Version + 1
	return n
}
