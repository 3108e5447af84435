package core

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is one definition document held in memory. Name is used for error
// messages and, by its extension, to choose the format: ".json" is JSON,
// ".yaml" and ".yml" are YAML; any other name is JSON when the content
// starts with '{' or '[' and YAML otherwise.
type File struct {
	Name string
	Data []byte
}

// Load reads definitions from files and directories (searched recursively
// for .yaml, .yml and .json files, in lexical order; other files and hidden
// directories are skipped) into one Catalog. References by name resolve
// across everything loaded, so a flow may use a block defined in another
// file.
//
// Every problem found is reported, as an ErrorList of *FieldError. On error
// the returned Catalog still holds the entities that decoded cleanly, for
// tools that want to show as much as they can.
func Load(paths ...string) (*Catalog, error) {
	files, errs := readPaths(paths)
	cat, err := LoadFiles(files...)
	var decodeErrs ErrorList
	if errors.As(err, &decodeErrs) {
		errs = append(errs, decodeErrs...)
	}
	return cat, errs.Err()
}

// LoadFiles is Load for documents already in memory.
func LoadFiles(files ...File) (*Catalog, error) {
	decoders := make([]*fileDecoder, len(files))
	for i, f := range files {
		decoders[i] = decodeFile(f)
	}
	resolveAll(decoders)
	cat := NewCatalog()
	var errs ErrorList
	for _, f := range decoders {
		for _, dr := range f.drafts {
			if dr.bad || dr.entity == nil {
				continue
			}
			if err := cat.add(dr); err != nil {
				f.add(err)
			}
		}
		errs = append(errs, sortedByLine(f.errs)...)
	}
	return cat, errs.Err()
}

// DecodeDocument decodes one document — a single entity or a list, in JSON
// or YAML chosen as for File — resolving references by name among the
// entities of the document itself. The entities come back in document
// order. Errors are an ErrorList of *FieldError.
func DecodeDocument(name string, data []byte) ([]Entity, error) {
	f := decodeFile(File{Name: name, Data: data})
	resolveAll([]*fileDecoder{f})
	if len(f.errs) > 0 {
		return nil, sortedByLine(f.errs)
	}
	out := make([]Entity, 0, len(f.drafts))
	for _, dr := range f.drafts {
		out = append(out, dr.entity)
	}
	return out, nil
}

// add catalogues a draft, refusing a second definition of one (id, version).
func (c *Catalog) add(dr *draft) *FieldError {
	e := dr.entity
	if prev, dup := c.sources[kindRef{e.Kind(), e.Ref()}]; dup {
		return &FieldError{File: dr.file, Line: dr.line, Entity: dr.label,
			Message: fmt.Sprintf("is defined twice: id %s version %d was already loaded from %s", e.Ref().ID, e.Ref().Version, prev.where())}
	}
	if err := c.Add(e, Source{File: dr.file, Line: dr.line}); err != nil {
		return &FieldError{File: dr.file, Line: dr.line, Entity: dr.label, Message: err.Error()}
	}
	return nil
}

func (s Source) where() string {
	switch {
	case s.File == "":
		return "code"
	case s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return s.File
}

func sortedByLine(errs ErrorList) ErrorList {
	out := slices.Clone(errs)
	slices.SortStableFunc(out, func(a, b *FieldError) int { return a.Line - b.Line })
	return out
}

type format int

const (
	formatJSON format = iota
	formatYAML
)

func formatOf(name string, data []byte) format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return formatJSON
	case ".yaml", ".yml":
		return formatYAML
	}
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return formatJSON
	}
	return formatYAML
}

var utf8BOM = []byte("\ufeff")

// decodeFile parses and decodes one file; problems land in its error list.
func decodeFile(file File) *fileDecoder {
	f := &fileDecoder{name: file.Name}
	data := bytes.TrimPrefix(file.Data, utf8BOM)
	var docs []*value
	var err error
	switch formatOf(file.Name, data) {
	case formatJSON:
		if len(bytes.TrimSpace(data)) == 0 {
			err = &syntaxError{line: 1, msg: "empty file: expected a JSON object or list"}
			break
		}
		var doc *value
		if doc, err = parseJSON(data); err == nil {
			docs = []*value{doc}
		}
	case formatYAML:
		docs, err = parseYAML(data)
	}
	var se *syntaxError
	if errors.As(err, &se) {
		f.add(&FieldError{File: file.Name, Line: se.line, Message: se.msg})
		return f
	}
	for _, doc := range docs {
		f.decodeDocument(doc)
	}
	return f
}

// definitionFile reports whether a file found in a directory is read.
func definitionFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// readPaths reads every definition file named by paths, in a deterministic
// order, each at most once.
func readPaths(paths []string) ([]File, ErrorList) {
	var files []File
	var errs ErrorList
	seen := map[string]bool{}
	read := func(path string) {
		key, err := filepath.Abs(path)
		if err != nil {
			key = filepath.Clean(path)
		}
		if seen[key] {
			return
		}
		seen[key] = true
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, &FieldError{File: path, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
			return
		}
		files = append(files, File{Name: path, Data: data})
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		switch {
		case err != nil:
			errs = append(errs, &FieldError{File: root, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
		case !info.IsDir():
			if !definitionFile(root) {
				errs = append(errs, &FieldError{File: root, Message: "not a definition file: the name must end in .yaml, .yml or .json"})
				continue
			}
			read(root)
		default:
			err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
				if err != nil {
					errs = append(errs, &FieldError{File: path, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
					return nil
				}
				if entry.IsDir() {
					if path != root && strings.HasPrefix(entry.Name(), ".") {
						return filepath.SkipDir
					}
					return nil
				}
				if definitionFile(path) {
					read(path)
				}
				return nil
			})
			if err != nil {
				errs = append(errs, &FieldError{File: root, Message: fmt.Sprintf("cannot walk: %v", err)})
			}
		}
	}
	return files, errs
}

// unwrapPathError drops the path that *fs.PathError repeats, since the
// FieldError already names the file.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
