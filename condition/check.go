package condition

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/openoma/openoma/core"
)

// ErrUnknownPort: the expression reads a port that Check's declarations do
// not declare.
var ErrUnknownPort = errors.New("unknown port")

// Declarations say what an expression may read: the flow's run inputs
// (variable inputs) and the source node's outputs (variable outputs), each
// with its JSON schema when it has one. Open means the names are not known,
// so any key may be read, with type dyn; otherwise a key that is not
// declared is an error (ErrUnknownPort), even inside has().
type Declarations struct {
	Inputs, Outputs         []core.PortDescriptor
	InputsOpen, OutputsOpen bool
}

// Result is the type a checked expression must give.
type Result int

// The results Check can require.
const (
	WantBool Result = iota // a condition: bool (or dyn, checked when evaluated)
	WantList               // for_each.items: a list (or dyn)
)

// Check parses and type-checks expr against decl without planning it for
// evaluation: each declared port is typed from its JSON schema ("string",
// "boolean", "number"/"integer" → double, "array" → list, "object" → map;
// anything else dyn), so `outputs.amount > 'lots'` has no overload and
// `outputs.amount` alone is not a bool. Errors wrap ErrCompile,
// ErrUnknownPort, ErrNotBool or ErrNotList. The environment for a set of
// declarations is built once per Compiler and reused.
func (c *Compiler) Check(expr string, decl Declarations, want Result) error {
	key := declarationKey(decl) + strconv.Itoa(int(want)) + "\x00" + expr
	c.mu.Lock()
	err, seen := c.checks[key]
	c.mu.Unlock()
	if seen {
		return err
	}
	err = c.check(expr, decl, want)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.checks) >= max(c.cfg.cacheSize, 1) {
		clear(c.checks) // unbounded distinct checks only come from hostile input
	}
	c.checks[key] = err
	return err
}

func (c *Compiler) check(expr string, decl Declarations, want Result) error {
	checked, err := c.checkDeclared(expr, decl, false)
	if err != nil {
		return err
	}
	if err := unknownPorts(checked, decl); err != nil {
		return err
	}
	out := checked.OutputType()
	switch {
	case out.IsExactType(cel.DynType):
	case want == WantBool && !out.IsExactType(cel.BoolType):
		return fmt.Errorf("%w: expression has type %s, want bool", ErrNotBool, out)
	case want == WantList && out.Kind() != types.ListKind:
		return fmt.Errorf("%w: expression has type %s, want a list", ErrNotList, out)
	}
	return nil
}

// checkDeclared type-checks expr in the environment of decl. CEL's checker
// refuses `outputs.amount == 3` for a double port, which evaluation
// accepts (equality across numeric types holds there): when the only
// issues are such numeric equalities, the expression is checked again
// with numeric ports as dyn, and that result stands.
func (c *Compiler) checkDeclared(expr string, decl Declarations, relaxed bool) (*cel.Ast, error) {
	env, err := c.declaredEnv(decl, relaxed)
	if err != nil {
		return nil, err
	}
	checked, issues := env.Compile(expr)
	if issues == nil || issues.Err() == nil {
		return checked, nil
	}
	if !relaxed && onlyNumericEquality(issues) {
		return c.checkDeclared(expr, decl, true)
	}
	return nil, fmt.Errorf("%w: %s", ErrCompile, describeIssues(issues))
}

var overloadIssue = regexp.MustCompile(`^found no matching overload for '(_==_|_!=_|@in)' applied to '\((.*)\)'$`)

// onlyNumericEquality reports whether every issue is an equality or `in`
// between numeric types, which CEL evaluates across types.
func onlyNumericEquality(issues *cel.Issues) bool {
	for _, e := range issues.Errors() {
		m := overloadIssue.FindStringSubmatch(e.Message)
		if m == nil {
			return false
		}
		for _, arg := range strings.Split(m[2], ", ") {
			switch strings.TrimSuffix(strings.TrimPrefix(arg, "list("), ")") {
			case "int", "uint", "double", "dyn":
			default:
				return false
			}
		}
	}
	return true
}

// declaredEnv extends the compiler's environment with one variable per
// declared port that CEL can name with a dot ("outputs.amount"): the
// checker resolves a qualified name to such a variable before it looks at
// the map, so the port gets its own type while has(), indexing and
// undeclared names still go through the map.
func (c *Compiler) declaredEnv(decl Declarations, relaxed bool) (*cel.Env, error) {
	k := declarationKey(decl)
	if relaxed {
		k = "relaxed|" + k
	}
	c.mu.Lock()
	env, ok := c.envs[k]
	c.mu.Unlock()
	if ok {
		return env, nil
	}
	var vars []cel.EnvOption
	add := func(prefix string, ports []core.PortDescriptor, open bool) {
		if open {
			return
		}
		for _, p := range ports {
			t := schemaType(p.Schema)
			if relaxed && t == cel.DoubleType {
				t = cel.DynType
			}
			if identifier.MatchString(p.Name) && !reserved[p.Name] {
				vars = append(vars, cel.Variable(prefix+"."+p.Name, t))
			}
		}
	}
	add(VarInputs, decl.Inputs, decl.InputsOpen)
	add(VarOutputs, decl.Outputs, decl.OutputsOpen)
	env, err := c.env.Extend(vars...)
	if err != nil {
		return nil, fmt.Errorf("%w: declaring ports: %w", ErrCompile, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.envs) >= maxDeclaredEnvs {
		clear(c.envs) // unbounded distinct declarations only come from hostile input
	}
	c.envs[k] = env
	return env, nil
}

// declarationKey identifies decl's names and types, for the caches.
func declarationKey(decl Declarations) string {
	var key strings.Builder
	add := func(prefix string, ports []core.PortDescriptor, open bool) {
		if open {
			key.WriteString(prefix + "*|")
			return
		}
		for _, p := range ports {
			fmt.Fprintf(&key, "%s.%q:%s;", prefix, p.Name, schemaType(p.Schema))
		}
		key.WriteString("|")
	}
	add(VarInputs, decl.Inputs, decl.InputsOpen)
	add(VarOutputs, decl.Outputs, decl.OutputsOpen)
	return key.String()
}

// maxDeclaredEnvs bounds the environments a Compiler keeps for Check. Each
// holds a copy of the declarations (tens of kB); a catalog has one per
// distinct pair of run inputs and source block, far fewer than this.
const maxDeclaredEnvs = 256

var identifier = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)

// reserved are CEL's reserved words, which cannot follow a dot.
var reserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true, "const": true,
	"continue": true, "else": true, "for": true, "function": true, "if": true, "import": true,
	"let": true, "loop": true, "package": true, "namespace": true, "return": true, "var": true, "void": true, "while": true,
}

// schemaType maps a port's JSON schema to the CEL type its values have
// once decoded from JSON (numbers are doubles).
func schemaType(schema map[string]any) *cel.Type {
	t, _ := schema["type"].(string)
	switch t {
	case "string":
		return cel.StringType
	case "boolean":
		return cel.BoolType
	case "number", "integer":
		return cel.DoubleType
	case "array":
		items, _ := schema["items"].(map[string]any)
		return cel.ListType(schemaType(items))
	case "object":
		return cel.MapType(cel.StringType, cel.DynType)
	}
	return cel.DynType
}

// unknownPorts reports the keys of inputs and outputs that checked reads
// (outputs.x, has(outputs.x), outputs["x"]) and decl does not declare.
func unknownPorts(checked *cel.Ast, decl Declarations) error {
	declared := map[string][]core.PortDescriptor{}
	if !decl.InputsOpen {
		declared[VarInputs] = decl.Inputs
	}
	if !decl.OutputsOpen {
		declared[VarOutputs] = decl.Outputs
	}
	if len(declared) == 0 {
		return nil
	}
	var problems []string
	note := func(variable, port string) {
		ports, checkedVar := declared[variable]
		if !checkedVar || slices.ContainsFunc(ports, func(p core.PortDescriptor) bool { return p.Name == port }) {
			return
		}
		msg := fmt.Sprintf("%s.%s: no such port (%s)", variable, port, describePorts(variable, ports))
		if !slices.Contains(problems, msg) {
			problems = append(problems, msg)
		}
	}
	ast.PostOrderVisit(checked.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		switch e.Kind() {
		case ast.SelectKind:
			if sel := e.AsSelect(); sel.Operand().Kind() == ast.IdentKind {
				note(sel.Operand().AsIdent(), sel.FieldName())
			}
		case ast.CallKind:
			call := e.AsCall()
			args := call.Args()
			if call.FunctionName() != operators.Index || len(args) != 2 || args[0].Kind() != ast.IdentKind || args[1].Kind() != ast.LiteralKind {
				return
			}
			if key, ok := args[1].AsLiteral().Value().(string); ok {
				note(args[0].AsIdent(), key)
			}
		}
	}))
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrUnknownPort, strings.Join(problems, "; "))
	}
	return nil
}

func describePorts(variable string, ports []core.PortDescriptor) string {
	if len(ports) == 0 {
		if variable == VarOutputs {
			return "there are no source outputs here"
		}
		return "the flow takes no run inputs"
	}
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.Name
	}
	return "has: " + strings.Join(names, ", ")
}
