package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host"
)

func newDefinitionsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "definitions",
		Aliases: []string{"defs"},
		Short:   "List and show the loaded definitions (work blocks, flows, contracts)",
		Long: `definitions reads the definitions the configuration names (definitions:),
validated exactly as serve and run load them, and lists or shows them. It
needs no daemon and records nothing.`,
	}
	cmd.AddCommand(newDefinitionsListCommand(g), newDefinitionsShowCommand(g))
	return cmd
}

// definitionRow is one line of `definitions list`.
type definitionRow struct {
	Kind    core.Kind `json:"kind"`
	Name    string    `json:"name"`
	Version int       `json:"version"`
	ID      string    `json:"id"`
	File    string    `json:"file,omitempty"`
	Line    int       `json:"line,omitempty"`
}

func newDefinitionsListCommand(g *globals) *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "One line per definition version: kind, name, version, id, file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := g.loadDefinitions()
			if err != nil {
				return err
			}
			want, err := kindFilter(kind)
			if err != nil {
				return err
			}
			rows := []definitionRow{}
			for _, e := range cat.Entities() {
				if want != "" && e.Kind() != want {
					continue
				}
				src := cat.Source(e.Kind(), e.Ref())
				rows = append(rows, definitionRow{Kind: e.Kind(), Name: entityName(e), Version: e.Ref().Version,
					ID: e.Ref().ID.String(), File: src.File, Line: src.Line})
			}
			if g.json {
				return g.printJSON(rows)
			}
			return writeDefinitionRows(g.stdout, rows)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind: work_block, flow or contract")
	return cmd
}

func writeDefinitionRows(w io.Writer, rows []definitionRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tVERSION\tID\tFILE")
	for _, r := range rows {
		file := r.File
		if r.Line > 0 {
			file = fmt.Sprintf("%s:%d", r.File, r.Line)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Kind, r.Name, r.Version, r.ID[:8], file)
	}
	return tw.Flush()
}

func newDefinitionsShowCommand(g *globals) *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "show NAME[@VERSION]",
		Short: "Print one definition in canonical JSON (the spec's field names)",
		Long: `show prints one definition — found by name, name@version, id or id@version;
without a version, the latest — in the canonical JSON layout that Python
openoma loads. When a name is used by more than one kind, say which with
--kind.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := g.loadDefinitions()
			if err != nil {
				return err
			}
			want, err := kindFilter(kind)
			if err != nil {
				return err
			}
			e, err := findDefinition(cat, args[0], want)
			if err != nil {
				return err
			}
			raw, err := core.EncodeJSON(e)
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(raw)
			return err
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "the kind to look in: work_block, flow or contract")
	return cmd
}

// findDefinition looks ref up in every kind (or only in want) and insists
// on exactly one match.
func findDefinition(cat *core.Catalog, ref string, want core.Kind) (core.Entity, error) {
	type lookup struct {
		kind core.Kind
		find func(string) (core.Entity, error)
	}
	lookups := []lookup{
		{core.KindWorkBlock, func(r string) (core.Entity, error) { return cat.LookupWorkBlock(r) }},
		{core.KindFlow, func(r string) (core.Entity, error) { return cat.LookupFlow(r) }},
		{core.KindContract, func(r string) (core.Entity, error) { return cat.LookupContract(r) }},
	}
	var found []core.Entity
	for _, l := range lookups {
		if want != "" && l.kind != want {
			continue
		}
		if e, err := l.find(ref); err == nil {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no definition %q%s: %w", ref, suggestDefinition(cat, ref), errNotFoundLocal)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, e := range found {
		names = append(names, e.Describe())
	}
	return nil, fmt.Errorf("%q names %s; choose one with --kind", ref, strings.Join(names, " and "))
}

// errNotFoundLocal marks a definition that is not in the catalog (the
// --json error code "not_found").
var errNotFoundLocal = errors.New("not found")

func suggestDefinition(cat *core.Catalog, ref string) string {
	name, _, err := core.ParseRef(ref)
	if err != nil {
		return ""
	}
	best, bestDist := "", 3
	for _, e := range cat.Entities() {
		if d := core.EditDistance(strings.ToLower(name), strings.ToLower(entityName(e))); d < bestDist {
			best, bestDist = entityName(e), d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func kindFilter(s string) (core.Kind, error) {
	if s == "" {
		return "", nil
	}
	k, err := core.ParseKind(s)
	if err != nil {
		return "", fmt.Errorf("--kind: %w", err)
	}
	return k, nil
}

func entityName(e core.Entity) string {
	switch t := e.(type) {
	case *core.WorkBlock:
		return t.Name
	case *core.Flow:
		return t.Name
	case *core.Contract:
		return t.Name
	}
	return ""
}

// loadDefinitions loads the configured definitions as the host does.
func (g *globals) loadDefinitions() (*core.Catalog, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	if len(cfg.Definitions) == 0 {
		return nil, errors.New("no definitions configured: set definitions: in the config (or pass --config)")
	}
	return host.LoadCatalog(cfg.Definitions)
}

// definitionsIfAny loads the configured definitions for decoration (names
// beside ids), or returns nil when there are none or they do not load: a
// verb that only reads must not fail for it.
func (g *globals) definitionsIfAny() *core.Catalog {
	cfg, err := g.loadConfig()
	if err != nil || len(cfg.Definitions) == 0 {
		return nil
	}
	cat, err := core.Load(cfg.Definitions...)
	if err != nil {
		return nil
	}
	return cat
}
