package validate

import (
	"fmt"
	"strings"

	"github.com/openoma/openoma/core"
)

func (c *checker) workBlock(b *core.WorkBlock, src core.Source) {
	r := c.reporter(b.Describe(), src)
	r.header(b.ID, b.Version, b.Name)
	ports := func(list []core.PortDescriptor, field string) {
		r.unique(len(list),
			func(i int) string { return list[i].Name },
			func(i int) string { return fmt.Sprintf("%s[%d].name", field, i) },
			"name", "port names", false)
	}
	ports(b.Inputs, "inputs")
	ports(b.Outputs, "outputs")
	for i, h := range b.ExecutionHints {
		if strings.TrimSpace(h) == "" {
			r.add(fmt.Sprintf("execution_hints[%d]", i), "must not be empty")
		}
	}
	c.blockExtensions(r, b)
}

// ports indexes a block's port names for the port-mapping check. Blocks are
// shared by many nodes, so each is indexed once per validation.
type ports struct {
	inputs, outputs map[string]struct{}
}

func (c *checker) portsOf(cache map[*core.WorkBlock]*ports, b *core.WorkBlock) *ports {
	if p, ok := cache[b]; ok {
		return p
	}
	p := &ports{inputs: nameSet(b.Inputs), outputs: nameSet(b.Outputs)}
	cache[b] = p
	return p
}

func nameSet(list []core.PortDescriptor) map[string]struct{} {
	m := make(map[string]struct{}, len(list))
	for _, p := range list {
		m[p.Name] = struct{}{}
	}
	return m
}

func portNames(list []core.PortDescriptor) string {
	if len(list) == 0 {
		return "none"
	}
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
