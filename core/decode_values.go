package core

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// entityDecoder decodes one entity's value, recording every problem in the
// file's error list and marking the entity bad so it stays out of the
// catalog.
type entityDecoder struct {
	file  *fileDecoder
	draft *draft
	label string // e.g. `flow "Sprint" v1`
	errs  []*FieldError
}

func (d *entityDecoder) errorf(v *value, path, format string, args ...any) {
	line := 0
	if v != nil {
		line = v.line
	}
	d.draft.bad = true
	// The entity's label is known only once its name and version are read,
	// so problems are held until the entity is done (see finish).
	d.errs = append(d.errs, &FieldError{File: d.file.name, Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

// finish labels the entity's problems and hands them to the file.
func (d *entityDecoder) finish() {
	d.draft.label = d.label
	for _, e := range d.errs {
		e.Entity = d.label
		d.file.add(e)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object checks that v is an object whose keys are all in allowed, and
// returns it, or nil after reporting the problem.
func (d *entityDecoder) object(v *value, path, what string, allowed []string) *value {
	if v.kind != kindMap {
		d.errorf(v, path, "%s must be an object, not %s", what, v.kind)
		return nil
	}
	for _, f := range v.fields {
		if slices.Contains(allowed, f.key) {
			continue
		}
		msg := fmt.Sprintf("unknown field %q in %s", f.key, what)
		if s := suggest(f.key, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		d.errorf(f.val, join(path, f.key), "%s", msg)
	}
	return v
}

// text reads a string. A null is "" when nullable. Unquoted YAML scalars
// are taken as written, so `name: 2024` needs no quotes.
func (d *entityDecoder) text(v *value, path string, nullable bool) string {
	switch {
	case v == nil:
		return ""
	case v.kind == kindString:
		return v.str
	case v.kind == kindNull && nullable:
		return ""
	case v.plain && v.kind != kindNull:
		return v.str
	}
	d.errorf(v, path, "must be a string, not %s", v.kind)
	return ""
}

// requiredText reads a string that must be present and non-empty.
func (d *entityDecoder) requiredText(obj *value, key, path string) string {
	v := obj.get(key)
	if v == nil {
		d.errorf(obj, join(path, key), "required")
		return ""
	}
	s := d.text(v, join(path, key), false)
	if s == "" && (v.kind == kindString || v.plain) {
		d.errorf(v, join(path, key), "must not be empty")
	}
	return s
}

// integer reads a whole number; versions and the like.
func (d *entityDecoder) integer(v *value, path string) int {
	if v.kind != kindNumber {
		d.errorf(v, path, "must be an integer, not %s", v.kind)
		return 0
	}
	if v.num != math.Trunc(v.num) || math.Abs(v.num) > math.MaxInt32 {
		d.errorf(v, path, "must be an integer, not %s", v.str)
		return 0
	}
	return int(v.num)
}

func (d *entityDecoder) boolean(v *value, path string) bool {
	if v.kind != kindBool {
		d.errorf(v, path, "must be true or false, not %s", v.kind)
		return false
	}
	return v.bool
}

func (d *entityDecoder) id(v *value, path string) uuid.UUID {
	if v.kind != kindString {
		d.errorf(v, path, "must be a UUID string, not %s", v.kind)
		return uuid.Nil
	}
	id, err := uuid.Parse(v.str)
	if err != nil {
		d.errorf(v, path, "%q is not a UUID", v.str)
		return uuid.Nil
	}
	return id
}

// list returns the items of a list value; null is an empty list.
func (d *entityDecoder) list(v *value, path string) []*value {
	switch v.kind {
	case kindList:
		return v.items
	case kindNull:
		return nil
	}
	d.errorf(v, path, "must be a list, not %s", v.kind)
	return nil
}

func (d *entityDecoder) texts(v *value, path string) []string {
	items := d.list(v, path)
	out := make([]string, 0, len(items))
	for i, it := range items {
		out = append(out, d.text(it, index(path, i), false))
	}
	return out
}

// metadata reads a free-form object; null and absence give an empty one.
func (d *entityDecoder) metadata(v *value, path string) Metadata {
	if v == nil || v.kind == kindNull {
		return Metadata{}
	}
	if v.kind != kindMap {
		d.errorf(v, path, "must be an object, not %s", v.kind)
		return Metadata{}
	}
	return v.plainValue().(map[string]any)
}

// optionalObject reads a free-form object that may be null (schema,
// predicate).
func (d *entityDecoder) optionalObject(v *value, path string) map[string]any {
	if v == nil || v.kind == kindNull {
		return nil
	}
	if v.kind != kindMap {
		d.errorf(v, path, "must be an object or null, not %s", v.kind)
		return nil
	}
	return v.plainValue().(map[string]any)
}

// reference is a parsed "Name@version" or "<uuid>@version".
type reference struct {
	name    string
	id      uuid.UUID // set when the text names an id instead of a name
	version int
}

// reference parses a pinned reference. An unpinned one is an error:
// invariant 2 requires every cross-entity reference to pin a version.
func (d *entityDecoder) reference(v *value, path string, kind Kind) (reference, bool) {
	s := strings.TrimSpace(d.text(v, path, false))
	if s == "" {
		if v.kind == kindString || v.plain {
			d.errorf(v, path, "must name a %s as \"Name@version\"", kind.label())
		}
		return reference{}, false
	}
	at := strings.LastIndex(s, "@")
	if at < 0 {
		d.errorf(v, path, "%q does not pin a version: write \"%s@<version>\" (every reference pins a version)", s, s)
		return reference{}, false
	}
	name, ver := strings.TrimSpace(s[:at]), s[at+1:]
	n, err := strconv.Atoi(ver)
	if err != nil || n < 1 || strings.HasPrefix(ver, "+") {
		d.errorf(v, path, "%q: the version after @ must be a positive integer", s)
		return reference{}, false
	}
	if name == "" {
		d.errorf(v, path, "%q: a name or id must come before @", s)
		return reference{}, false
	}
	ref := reference{name: name, version: n}
	if id, err := uuid.Parse(name); err == nil {
		ref.id = id
	}
	return ref, true
}

// suggest returns the allowed key closest to key when it is close enough to
// be a likely typo.
func suggest(key string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if d := EditDistance(key, a); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance of a and b, for "did you mean"
// suggestions; strings over 64 bytes are never close (math.MaxInt).
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
