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
	errs = append(errs, f.checkRefDataOn(f.Tree, data, "", now)...)
	return f.order(errs)
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
	pages := Render(f.Tree, f.Def.UI, data, errs)
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
	walkData(f.Tree, data, "", func(n *Node, v any, ptr string) {
		if s, ok := v.(string); ok && n.Format == FileFormat {
			out = append(out, FileValue{ptr, s})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return slices.CompactFunc(out, func(a, b FileValue) bool { return a == b })
}

// checkRefDataOn refuses reference data values that exist but are not valid
// on the day (a port closed last year).
func (f *Form) checkRefDataOn(root *Node, data any, _ string, now time.Time) []FieldError {
	var out []FieldError
	walkData(root, data, "", func(n *Node, v any, ptr string) {
		code, ok := v.(string)
		if !ok || n.Refdata == "" {
			return
		}
		set, ok := f.refdata[refKey(n.Source, n.Refdata)]
		if !ok {
			return
		}
		it, ok := set.Item(code)
		if !ok || it.ValidOn(now) {
			return // unknown codes are the schema's enum error
		}
		label := FieldLabel(f.Tree, f.Def.UI, ptr)
		when := "from " + it.ValidFrom
		if it.ValidTo != "" && now.UTC().Format(time.DateOnly) > it.ValidTo {
			when = "until " + it.ValidTo
		}
		out = append(out, FieldError{ptr, fmt.Sprintf("%s cannot be %s: it is valid only %s", label, it.Label, when)})
	})
	return out
}

// walkData visits every value in data together with the schema node that
// describes it, following properties, conditional branches and items.
func walkData(n *Node, v any, ptr string, visit func(*Node, any, string)) {
	if n == nil {
		return
	}
	visit(n, v, ptr)
	switch val := v.(type) {
	case map[string]any:
		for _, p := range n.Properties {
			if child, ok := val[p.Name]; ok {
				walkData(p.Schema, child, ptr+"/"+escapePointer(p.Name), visit)
			}
		}
		for _, branch := range n.branches() {
			walkObject(branch, val, ptr, visit)
		}
	case []any:
		for i, item := range val {
			walkData(n.Items, item, ptr+"/"+strconv.Itoa(i), visit)
		}
	}
}

// walkObject visits an object's properties through a conditional branch
// without visiting the object itself again.
func walkObject(n *Node, val map[string]any, ptr string, visit func(*Node, any, string)) {
	if n == nil {
		return
	}
	for _, p := range n.Properties {
		if child, ok := val[p.Name]; ok {
			walkData(p.Schema, child, ptr+"/"+escapePointer(p.Name), visit)
		}
	}
	for _, branch := range n.branches() {
		walkObject(branch, val, ptr, visit)
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
		var visit func(n *Node, prefix string, depth int)
		visit = func(n *Node, prefix string, depth int) {
			if n == nil || depth > MaxSchemaDepth {
				return
			}
			for _, p := range n.Properties {
				key := prefix + "/" + escapePointer(p.Name)
				if _, ok := f.rank[key]; !ok {
					f.rank[key] = len(f.rank)
				}
				visit(p.Schema, key, depth+1)
			}
			for _, b := range n.branches() {
				visit(b, prefix, depth+1)
			}
			visit(n.Items, prefix+"/*", depth+1)
		}
		visit(f.Tree, "", 0)
	})
	return f.rank
}

func firstSegment(pointer string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(pointer, "/"), "/")
	return unescapePointer(seg)
}
