package forms

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// FileFormat marks a string field whose value is the id of a file uploaded
// to /api/v1/files.
const FileFormat = "cop-file"

// knownFormats are the formats the validator asserts; any other is refused
// at upload rather than silently not checked.
var knownFormats = []string{"date", "date-time", "time", "duration", "email", "hostname", "ipv4", "ipv6",
	"uri", "uri-reference", "iri", "uuid", "regex", "json-pointer", FileFormat}

var fileIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func isFileID(v any) bool {
	s, ok := v.(string)
	return !ok || fileIDRE.MatchString(s)
}

// Validate checks data against the form: the schema (formats asserted) and
// the validity periods of reference data on the given day. It returns one
// error per failing field, in the form's field order; none when valid.
func (f *Form) Validate(data any, now time.Time) []FieldError {
	var errs []FieldError
	if err := f.schema.Validate(data); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			errs = f.describe(ve, data)
		} else {
			errs = []FieldError{{"", "the answers cannot be checked: " + err.Error()}}
		}
	}
	errs = append(errs, f.checkRefDataOn(data, now)...)
	for i := range errs {
		errs[i].Message = f.inEntry(errs[i].Pointer, errs[i].Message)
	}
	return f.order(errs)
}

// inEntry names the entry of a repeating group an error is inside, as
// "Person 2: select their role", so an officer knows which of several
// alike questions to look at. The innermost entry is named; an error about
// a whole entry of a list of answers (the list names itself) is left.
func (f *Form) inEntry(pointer, message string) string {
	tokens, ok := SplitPointer(pointer)
	if !ok {
		return message
	}
	cur := f.Tree
	var key []string
	entry := ""
	for i, tok := range tokens {
		if p := cur.property(tok); p != nil {
			cur, key = p, append(key, tok)
			continue
		}
		items := cur.items()
		if !isIndexToken(tok) || items == nil {
			return message
		}
		if i < len(tokens)-1 { // a question inside the entry, not the entry itself
			n, _ := strconv.Atoi(tok)
			label := fieldLabel(uiHints(f.Def.UI, joinPointer(key)), cur, lastOf(key))
			entry = itemLabel(uiHints(f.Def.UI, joinPointer(key)), items, label) + " " + strconv.Itoa(n+1)
		}
		cur = items
	}
	if entry == "" || strings.HasPrefix(message, entry+": ") {
		return message
	}
	return entry + ": " + lowerFirst(message)
}

func lastOf(key []string) string {
	if len(key) == 0 {
		return ""
	}
	return key[len(key)-1]
}

// ValidatePage checks only the fields one page shows (with those its
// conditional questions reveal), so a journey can stop an officer on the
// page that is wrong while later pages are still empty.
func (f *Form) ValidatePage(page string, data any, now time.Time) ([]FieldError, error) {
	names, ok := PageFields(f.Tree, f.Def.UI)[page]
	if !ok {
		return nil, fmt.Errorf("form %s has no page %q", f.Def.Name, page)
	}
	var out []FieldError
	for _, e := range f.Validate(data, now) {
		if slices.Contains(names, firstSegment(e.Pointer)) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Pages is the rendering model of the form for some answers and errors.
func (f *Form) Pages(data any, errs []FieldError) []Page {
	pages := render(f.Tree, f.Def.UI, data, errs, f.words())
	if len(pages) == 1 && pages[0].Title == "" {
		pages[0].Title = f.Def.Title
	}
	return pages
}

// FileRule is what a file field accepts.
type FileRule struct {
	MediaType string // "" accepts any type; "image/*" any image
	MaxBytes  int64
}

// FileRule returns the rule of the file field at a pointer ("/passportScan",
// "/crew/0/photo"), or false when no file field is there.
func (f *Form) FileRule(pointer string) (FileRule, bool) {
	n := f.Tree.Lookup(pointer)
	if n == nil || n.Format != FileFormat {
		return FileRule{}, false
	}
	rule := FileRule{MediaType: n.ContentMediaType, MaxBytes: n.MaxFileSize}
	if rule.MaxBytes == 0 {
		rule.MaxBytes = DefaultMaxFileSize
	}
	return rule, true
}

// FileValue is a file id found in submitted data.
type FileValue struct {
	Pointer string
	ID      string
}

// Files lists the file ids in data, so the platform can check each was
// uploaded by the submitter for that field.
func (f *Form) Files(data any) []FileValue {
	var out []FileValue
	for _, path := range f.fileFields {
		valuesAt(data, path, "", func(v any, ptr string) {
			if s, ok := v.(string); ok {
				out = append(out, FileValue{ptr, s})
			}
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return slices.CompactFunc(out, func(a, b FileValue) bool { return a == b })
}

// fieldPaths lists the paths ("*" for array items) of the fields that
// match, through properties, conditional branches and items.
func fieldPaths(root *Node, match func(*Node) bool) [][]string {
	var out [][]string
	seen := map[string]bool{}
	var visit func(n *Node, path []string, depth int)
	visit = func(n *Node, path []string, depth int) {
		if n == nil || depth > MaxSchemaDepth {
			return
		}
		if key := strings.Join(path, "/"); match(n) && !seen[key] {
			seen[key] = true
			out = append(out, slices.Clone(path))
		}
		for _, p := range n.Properties {
			visit(p.Schema, append(path, p.Name), depth+1)
		}
		for _, b := range n.branches() {
			visit(b, path, depth+1)
		}
		visit(n.Items, append(path, "*"), depth+1)
	}
	visit(root, nil, 0)
	return out
}

// checkRefDataOn refuses reference data values that exist but are not valid
// on the day (a port closed last year). Only fields whose set has items
// with validity periods are looked at.
func (f *Form) checkRefDataOn(data any, now time.Time) []FieldError {
	var out []FieldError
	day := now.UTC().Format(time.DateOnly)
	for _, field := range f.dated {
		valuesAt(data, field.path, "", func(v any, ptr string) {
			code, ok := v.(string)
			if !ok {
				return
			}
			it, ok := field.items[code]
			if !ok || it.ValidOn(now) {
				return // always valid, or unknown (the schema's enum error)
			}
			when := "from " + it.ValidFrom
			if it.ValidTo != "" && day > it.ValidTo {
				when = "until " + it.ValidTo
			}
			out = append(out, FieldError{ptr, fmt.Sprintf("%s cannot be %s: it is valid only %s", FieldLabel(f.Tree, f.Def.UI, ptr), it.Label, when)})
		})
	}
	return out
}

// datedField is a field whose reference data has items valid only for a
// period: path is its pointer with "*" for array items.
type datedField struct {
	path  []string
	items map[string]RefItem // the items with a period, by code
}

// datedFields finds them once, at compile time.
func datedFields(root *Node, refdata map[string]RefData) []datedField {
	var out []datedField
	byPath := map[string]map[string]RefItem{}
	for _, path := range fieldPaths(root, func(n *Node) bool { return n.Refdata != "" }) {
		n := root.Lookup("/" + strings.Join(escapeAll(path), "/"))
		if n == nil || byPath[strings.Join(path, "/")] != nil {
			continue
		}
		items := map[string]RefItem{}
		for _, it := range refdata[refKey(n.Source, n.Refdata)].Items {
			if it.ValidFrom != "" || it.ValidTo != "" {
				items[it.Code] = it
			}
		}
		if len(items) > 0 {
			byPath[strings.Join(path, "/")] = items
			out = append(out, datedField{path: path, items: items})
		}
	}
	return out
}

func escapeAll(path []string) []string {
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = escapePointer(p)
	}
	return out
}

// valuesAt calls fn with every value at a path ("*" matches each item).
func valuesAt(v any, path []string, ptr string, fn func(any, string)) {
	if len(path) == 0 {
		fn(v, ptr)
		return
	}
	switch val := v.(type) {
	case map[string]any:
		if child, ok := val[path[0]]; ok && path[0] != "*" {
			valuesAt(child, path[1:], ptr+"/"+escapePointer(path[0]), fn)
		}
	case []any:
		if path[0] == "*" {
			for i, item := range val {
				valuesAt(item, path[1:], ptr+"/"+strconv.Itoa(i), fn)
			}
		}
	}
}

// branches are the subschemas that may add properties to an object.
func (n *Node) branches() []*Node {
	out := []*Node{}
	if n.Then != nil {
		out = append(out, n.Then)
	}
	if n.Else != nil {
		out = append(out, n.Else)
	}
	out = append(out, n.AllOf...)
	for _, d := range n.DependentSchemas {
		out = append(out, d.Schema)
	}
	return out
}

// order keeps one error per pointer (the first) and sorts them in the order
// the fields appear on the form, so a person reads them top to bottom.
func (f *Form) order(errs []FieldError) []FieldError {
	if len(errs) == 0 {
		return nil
	}
	seen := map[string]bool{}
	out := errs[:0:0]
	for _, e := range errs {
		if !seen[e.Pointer] {
			seen[e.Pointer] = true
			out = append(out, e)
		}
	}
	ranks := f.ranks()
	rank := func(p string) []int {
		var r []int
		prefix := ""
		for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			if n, err := strconv.Atoi(seg); err == nil {
				r = append(r, n)
				prefix += "/*"
				continue
			}
			prefix += "/" + seg
			pos, ok := ranks[prefix]
			if !ok {
				pos = len(ranks)
			}
			r = append(r, pos)
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool { return slices.Compare(rank(out[i].Pointer), rank(out[j].Pointer)) < 0 })
	return out
}

// ranks numbers every field pattern ("/crew/*/name") in document order.
func (f *Form) ranks() map[string]int {
	f.rankOnce.Do(func() {
		f.rank = map[string]int{}
		for _, path := range fieldPaths(f.Tree, func(*Node) bool { return true }) {
			if len(path) > 0 && path[len(path)-1] != "*" {
				f.rank["/"+strings.Join(escapeAll(path), "/")] = len(f.rank)
			}
		}
	})
	return f.rank
}

// ByteSize says a file size limit in words: "5 MB", "2 KB", "1500 bytes".
func ByteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
