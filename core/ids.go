package core

import "github.com/google/uuid"

// namespace is the UUIDv5 namespace of derived ids; see Namespace.
var namespace = uuid.MustParse("eb8b71e3-b1ee-58cb-b403-50343962700c")

// Namespace returns the UUIDv5 namespace of the ids openoma derives for
// definitions written without one: eb8b71e3-b1ee-58cb-b403-50343962700c,
// itself uuid.NewSHA1(uuid.NameSpaceURL, "https://openoma.dev/ns/definitions").
// It is fixed forever: changing it would change the id of every definition
// authored without an explicit id.
func Namespace() uuid.UUID { return namespace }

// DeriveID returns the id a block, flow or contract named name gets when its
// document gives none: UUIDv5(Namespace, kind + ":" + name). It does not
// depend on the version, so every version of an entity shares the id.
func DeriveID(kind Kind, name string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(string(kind)+":"+name))
}

// DeriveNodeID returns the id of the node with the given alias in the flow
// with id flowID, when the document gives none: UUIDv5(flowID, "node:" +
// alias). Renaming an alias therefore changes the node's id.
func DeriveNodeID(flowID uuid.UUID, alias string) uuid.UUID {
	return uuid.NewSHA1(flowID, []byte("node:"+alias))
}

// DeriveOutcomeID returns the id of the required outcome named name in the
// contract with id contractID, when the document gives none:
// UUIDv5(contractID, "required_outcome:" + name).
func DeriveOutcomeID(contractID uuid.UUID, name string) uuid.UUID {
	return uuid.NewSHA1(contractID, []byte("required_outcome:"+name))
}
