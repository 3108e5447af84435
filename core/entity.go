package core

import (
	"fmt"
	"strings"
)

// Entity is one of the three versioned definition kinds: *WorkBlock, *Flow
// or *Contract. A document decodes to a list of Entities.
type Entity interface {
	Kind() Kind
	Ref() Ref
	Describe() string
	isEntity()
}

// Kind reports KindWorkBlock.
func (*WorkBlock) Kind() Kind { return KindWorkBlock }

// Kind reports KindFlow.
func (*Flow) Kind() Kind { return KindFlow }

// Kind reports KindContract.
func (*Contract) Kind() Kind { return KindContract }

func (*WorkBlock) isEntity() {}
func (*Flow) isEntity()      {}
func (*Contract) isEntity()  {}

// ParseKind reads a document's "kind" field. It accepts the canonical
// snake_case names and the Python class names: "work_block" or "WorkBlock",
// "flow" or "Flow", "contract" or "Contract" (case and separators do not
// matter).
func ParseKind(s string) (Kind, error) {
	norm := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(s))
	switch norm {
	case "workblock":
		return KindWorkBlock, nil
	case "flow":
		return KindFlow, nil
	case "contract":
		return KindContract, nil
	}
	return "", fmt.Errorf("unknown kind %q (want work_block, flow or contract)", s)
}

// label is the word error messages use for a kind.
func (k Kind) label() string {
	switch k {
	case KindWorkBlock:
		return "block"
	case KindFlow:
		return "flow"
	case KindContract:
		return "contract"
	}
	return string(k)
}
