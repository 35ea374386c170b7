package journey

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cop/forms"
	"cop/forms/lang"
)

// Posted is what a page's form post carries: its values by name (the
// field's JSON pointer), as url.Values and multipart forms hold them.
type Posted map[string][]string

func (p Posted) Get(name string) string {
	if v := p[name]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// ReadAnswers copies a page's posted values into data, field by field, as
// the JSON the form's schema checks: numbers as numbers, yes/no as
// booleans, an option as its own value, a date as YYYY-MM-DD. An empty
// answer removes the value. What cannot be read (letters in a number, a
// day that does not exist, an option the page did not offer) is kept as
// typed, so the page can show it back, and reported. File fields are left
// to the caller, which uploads them; their pointers are returned.
func ReadAnswers(fields []forms.Field, post Posted, data map[string]any) (problems []forms.FieldError, files []*forms.Field) {
	return ReadAnswersIn(fields, post, data, lang.English)
}

// ReadAnswersIn is ReadAnswers with what cannot be read said in language l.
func ReadAnswersIn(fields []forms.Field, post Posted, data map[string]any, l string) (problems []forms.FieldError, files []*forms.Field) {
	r := &reader{post: post, data: data, words: lang.For(l)}
	r.fields(fields)
	return r.problems, r.files
}

type reader struct {
	words    lang.Words
	post     Posted
	data     map[string]any
	problems []forms.FieldError
	files    []*forms.Field
}

func (r *reader) fields(fs []forms.Field) {
	for i := range fs {
		r.field(&fs[i])
	}
}

func (r *reader) field(f *forms.Field) {
	switch f.Kind {
	case forms.KindGroup:
		r.fields(f.Fields)
		if m, ok := forms.ValueAt(r.data, f.Pointer).(map[string]any); ok && len(m) == 0 {
			// A group left empty is no answer: an optional group must not
			// become {} and be asked for its required questions.
			SetAt(r.data, f.Pointer, nil)
		}
		return
	case forms.KindRepeating:
		if len(f.Items) == 0 && f.MinItems > 0 {
			r.fields(f.Template) // the first entry, asked for at once
		}
		for _, item := range f.Items {
			r.fields(item.Fields)
		}
		return
	case forms.KindFile:
		r.files = append(r.files, f)
		return
	}
	value, problem := r.value(f)
	if problem != "" {
		r.problems = append(r.problems, forms.FieldError{Pointer: f.Pointer, Message: problem})
	}
	SetAt(r.data, f.Pointer, value)
	for _, placed := range PlacedReveals(f) {
		r.fields(placed)
	}
}

// value reads one field's answer; nil means no answer.
func (r *reader) value(f *forms.Field) (any, string) {
	switch f.Kind {
	case forms.KindNumber:
		s := r.post.Get(f.Pointer)
		if s == "" {
			return nil, ""
		}
		plain := strings.ReplaceAll(s, ",", "")
		if !decimal.MatchString(plain) {
			return s, f.Say("type", r.words.T("validation.type", "Label", f.Label, "Types", r.words.T("type.number")))
		}
		return json.Number(plain), "" // exact, however many digits
	case forms.KindDate:
		v, problem, real := readDate(f, r.post, r.words)
		if real {
			problem = f.Say("format", problem) // what the API says of a date that is not one
		}
		return v, problem
	case forms.KindRadios, forms.KindSelect, forms.KindYesNo:
		s := r.post.Get(f.Pointer)
		if s == "" {
			return nil, ""
		}
		return pickOption(f, s, r.words)
	case forms.KindCheckboxes:
		var picked []any
		for _, s := range r.post[f.Pointer] {
			v, problem := pickOption(f, s, r.words)
			if problem != "" {
				return nil, problem
			}
			picked = append(picked, v)
		}
		if len(picked) == 0 {
			return nil, ""
		}
		return picked, ""
	}
	if s := r.post.Get(f.Pointer); s != "" {
		return s, ""
	}
	return nil, ""
}

// decimal is a number as officers write one (no NaN, Inf, hex or exponents).
var decimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// pickOption maps a posted value back to the option offered; anything
// else was not on the page (a tampered post) and is refused by name.
func pickOption(f *forms.Field, s string, w lang.Words) (any, string) {
	for _, opt := range f.Options {
		if OptionValue(opt.Value) == s {
			return opt.Value, ""
		}
	}
	return nil, w.T("validation.notAnOption", "Lower", strings.ToLower(f.Label))
}

// readDate joins the day, month and year boxes into YYYY-MM-DD, naming
// what is missing or impossible as the Design System's date pattern does;
// real says the date does not exist (rather than lacks a part).
func readDate(f *forms.Field, post Posted, w lang.Words) (v any, problem string, real bool) {
	day, month, year := post.Get(f.Pointer+"-day"), post.Get(f.Pointer+"-month"), post.Get(f.Pointer+"-year")
	if day == "" && month == "" && year == "" {
		return nil, "", false
	}
	typed := year + "-" + month + "-" + day
	var missing []string
	for _, p := range []struct{ name, v string }{{"day", day}, {"month", month}, {"year", year}} {
		if p.v == "" {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return typed, w.T("validation.dateMissing."+strings.Join(missing, "-"), "Label", f.Label), false
	}
	d, e1 := strconv.Atoi(day)
	m, e2 := strconv.Atoi(month)
	y, e3 := strconv.Atoi(year)
	if e1 != nil || e2 != nil || e3 != nil || len(year) != 4 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return typed, w.T("validation.realDate", "Label", f.Label), true
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), "", false
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// SetAt sets the value at a JSON pointer in data, making the objects and
// list entries on the way; a nil value removes an object's key.
func SetAt(data map[string]any, pointer string, v any) {
	parts, _ := forms.SplitPointer(pointer)
	if len(parts) == 0 {
		return
	}
	var cur any = data
	for i, part := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(c, part)
				} else {
					c[part] = v
				}
				return
			}
			next, ok := c[part]
			if list, isList := next.([]any); isList && v != nil && parts[i+1] == strconv.Itoa(len(list)) && len(list) == 0 {
				// The first entry of an empty list, asked for at once.
				next = []any{nil}
				c[part] = next
			}
			if !ok || next == nil {
				if v == nil {
					return // nothing to remove, and no empty object to leave behind
				}
				next = container(parts[i+1])
				c[part] = next
			}
			cur = next
		case []any:
			idx, err := strconv.Atoi(part)
			if err != nil || idx < 0 || idx >= len(c) {
				return // entries are added by "Add another", never by a value's pointer
			}
			if last {
				if v == nil {
					v = "" // a list keeps its length; the schema says what is missing
				}
				c[idx] = v
				return
			}
			if c[idx] == nil {
				if v == nil {
					return
				}
				c[idx] = container(parts[i+1])
			}
			cur = c[idx]
		default:
			return
		}
	}
}

// container is a new object, or a one-entry list when the next step is an
// index (the first entry of a repeating group asked for at once).
func container(next string) any {
	if _, err := strconv.Atoi(next); err == nil {
		return []any{nil}
	}
	return map[string]any{}
}

// EntriesAreObjects tells whether a repeating group's entries are objects
// (several questions) or single answers, whose one field sits at the
// entry's own pointer. Anything but a repeating group reads as objects.
func EntriesAreObjects(f *forms.Field) bool {
	if f == nil || f.Kind != forms.KindRepeating {
		return true
	}
	return !(len(f.Template) == 1 && f.Template[0].Pointer == f.Pointer+"/"+strconv.Itoa(len(f.Items)))
}

// AddEntry appends a blank entry to the repeating group at pointer.
func AddEntry(data map[string]any, pointer string, objects bool) {
	var blank any = ""
	if objects {
		blank = map[string]any{}
	}
	list, _ := forms.ValueAt(data, pointer).([]any)
	SetAt(data, pointer, append(list, blank))
}

// RemoveEntry removes the entry at pointer ("/crew/1") from its group.
func RemoveEntry(data map[string]any, pointer string) {
	i := strings.LastIndex(pointer, "/")
	if i < 0 {
		return
	}
	idx, err := strconv.Atoi(pointer[i+1:])
	list, _ := forms.ValueAt(data, pointer[:i]).([]any)
	if err != nil || idx < 0 || idx >= len(list) {
		return
	}
	list = append(list[:idx:idx], list[idx+1:]...)
	if len(list) == 0 {
		SetAt(data, pointer[:i], nil)
		return
	}
	SetAt(data, pointer[:i], list)
}

// GrowEntries makes room in data for the entries of repeating groups a
// post answers beyond those data has (a page drawn from answers that were
// not saved, as a task's form is), so ReadAnswers reads every entry
// posted. It reports whether it added any: the fields must then be drawn
// again, since entries may hold groups of their own.
func GrowEntries(fields []forms.Field, post Posted, data map[string]any) bool {
	grew := false
	forms.WalkFields(fields, func(f *forms.Field) {
		if f.Kind != forms.KindRepeating {
			return
		}
		have := len(f.Items)
		for have < maxEntries && posts(post, f.Pointer+"/"+strconv.Itoa(have)) {
			AddEntry(data, f.Pointer, EntriesAreObjects(f))
			have++
			grew = true
		}
	})
	return grew
}

// maxEntries bounds the entries a post can make, whatever it claims.
const maxEntries = 200

// posts reports whether the post answers anything at or under pointer.
func posts(post Posted, pointer string) bool {
	for name := range post {
		if name == pointer || strings.HasPrefix(name, pointer+"/") || strings.HasPrefix(name, pointer+"-") {
			return true
		}
	}
	return false
}

// PlacedReveals are, per option, the follow-up questions drawn with it on
// the page. A question several options reveal is drawn with none of them
// (two copies would share a name and an id) and a select reveals only its
// chosen option's; the rest are asked on the follow-up page once the
// answer is known. Drawing and reading a post both go by this.
func PlacedReveals(f *forms.Field) [][]forms.Field {
	out := make([][]forms.Field, len(f.Options)+1) // the last: no option chosen
	count := map[string]int{}
	for _, opt := range f.Options {
		for _, r := range opt.Reveals {
			count[r.Pointer]++
		}
	}
	for i, opt := range f.Options {
		if f.Kind == forms.KindSelect && !opt.Selected {
			continue
		}
		for _, r := range opt.Reveals {
			if count[r.Pointer] == 1 {
				out[i] = append(out[i], r)
			}
		}
	}
	return out
}

// OptionValue is how an option's value travels in a form post: its JSON
// text for numbers and booleans, the string itself for strings.
func OptionValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10) // 1000000, not 1e+06
		}
	}
	return fmt.Sprint(v)
}
