package reports

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"cop/forms"
)

// ParamsForm is the form a report's parameters are answered with: one
// question per parameter, so they are validated (and their messages
// worded) exactly as a form's answers are.
func ParamsForm(r *Report) (forms.Definition, error) {
	props := map[string]any{}
	var order []string
	for _, p := range r.Params {
		props[p.Name] = paramSchema(p)
		order = append(order, p.Name)
	}
	schema, err := json.Marshal(map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"type":    "object", "additionalProperties": false, "properties": props,
	})
	if err != nil {
		return forms.Definition{}, fmt.Errorf("the parameters of report %s: %w", r.Name, err)
	}
	return forms.Definition{Name: "report-" + r.Name, Version: r.Version, Title: r.Title, Schema: schema,
		UI: &forms.UI{Order: order}}, nil
}

func paramSchema(p Param) map[string]any {
	one := map[string]any{}
	switch p.Type {
	case TypeDate:
		one["type"], one["format"] = "string", "date"
	case TypeString:
		one["type"], one["maxLength"] = "string", 200
	default:
		one["type"] = p.Type
	}
	if p.Minimum != nil {
		one["minimum"] = *p.Minimum
	}
	if p.Maximum != nil {
		one["maximum"] = *p.Maximum
	}
	if p.Refdata != "" {
		one["refdata"] = p.Refdata
	}
	if len(p.Options) > 0 {
		var branches []any
		for _, o := range p.Options {
			b := map[string]any{"const": o.Value}
			if o.Label != "" {
				b["title"] = o.Label
			}
			branches = append(branches, b)
		}
		one["oneOf"] = branches
	}
	if p.Multiple {
		return map[string]any{"type": "array", "title": p.Title, "description": p.Hint, "items": one, "uniqueItems": true}
	}
	one["title"] = p.Title
	if p.Hint != "" {
		one["description"] = p.Hint
	}
	return one
}

// paramProblems moves what compiling the parameters' form found from the
// form's pointers (/schema/properties/from/…) to the report's
// (/params/0/…).
func paramProblems(r *Report, ps forms.Problems) forms.Problems {
	out := make(forms.Problems, 0, len(ps))
	for _, p := range ps {
		at := "/params"
		for i, pr := range r.Params {
			prefix := "/schema/properties/" + escape(pr.Name)
			if p.Pointer == prefix || strings.HasPrefix(p.Pointer, prefix+"/") {
				at = fmt.Sprintf("/params/%d", i)
			}
		}
		out = append(out, forms.Problem{Pointer: at, Message: p.Message})
	}
	return out
}

// CheckDefaults validates each parameter's default as an answer to the
// parameters' form.
func CheckDefaults(r *Report, f *forms.Form, now time.Time) forms.Problems {
	data := map[string]any{}
	for _, p := range r.Params {
		if p.HasDflt {
			data[p.Name] = p.Default
		}
	}
	var out forms.Problems
	for _, e := range f.Validate(data, now) {
		name := firstToken(e.Pointer)
		for i, p := range r.Params {
			if p.Name == name {
				out = append(out, forms.Problem{Pointer: fmt.Sprintf("/params/%d/default", i), Message: e.Message})
			}
		}
	}
	return out
}

// Values reads the parameters from a query string (a multiple one
// repeated), falling back to defaults for those not in it (one given
// empty is cleared: its filters do not apply), and validates them with
// the parameters' form. Problems are at /name. reserved are the query's own
// keys (format); any other unknown key is refused, not ignored.
func Values(r *Report, f *forms.Form, q url.Values, reserved []string, now time.Time) (map[string]any, forms.Problems) {
	var problems forms.Problems
	declared := map[string]Param{}
	for _, p := range r.Params {
		declared[p.Name] = p
	}
	var unknown []string
	for k := range q {
		if _, ok := declared[k]; !ok && !contains(reserved, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, forms.Problem{Pointer: "/" + escape(k),
			Message: fmt.Sprintf("%q is not a parameter of report %s (%s)", k, r.Name, paramNames(r))})
	}
	data := map[string]any{}
	for _, p := range r.Params {
		raw := nonEmpty(q[p.Name])
		_, asked := q[p.Name]
		switch {
		case !asked && p.HasDflt:
			data[p.Name] = p.Default
		case len(raw) == 0:
		case p.Multiple:
			var list []any
			for _, s := range raw {
				list = append(list, coerce(p.Type, s))
			}
			data[p.Name] = list
		case len(raw) > 1:
			problems = append(problems, forms.Problem{Pointer: "/" + escape(p.Name), Message: fmt.Sprintf("%s takes one value", p.Title)})
		default:
			data[p.Name] = coerce(p.Type, raw[0])
		}
	}
	problems = append(problems, f.Validate(data, now)...)
	if len(problems) > 0 {
		return nil, problems
	}
	return data, nil
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// coerce reads a query value as the parameter's type; what does not read
// stays text, for the form's validation to name.
func coerce(typ, s string) any {
	switch typ {
	case TypeInteger, TypeNumber:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true", "yes", "1":
			return true
		case "false", "no", "0":
			return false
		}
	}
	return s
}

func paramNames(r *Report) string {
	if len(r.Params) == 0 {
		return "it has no parameters"
	}
	var names []string
	for _, p := range r.Params {
		names = append(names, p.Name)
	}
	return "its parameters: " + strings.Join(names, ", ")
}

func firstToken(pointer string) string {
	tokens, _ := forms.SplitPointer(pointer)
	if len(tokens) == 0 {
		return ""
	}
	return tokens[0]
}
