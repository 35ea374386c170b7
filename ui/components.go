package ui

import (
	"embed"
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"
)

// GOV.UK Frontend's components, written as html/template definitions that
// take the same options as the Nunjucks macros (decoded JSON: maps, lists,
// strings). components_test.go renders each against the fixtures GOV.UK
// publishes with the npm package, so the markup is GOV.UK's own.
//
//go:embed components/*.html
var componentFiles embed.FS

// componentFuncs are the helpers the component templates share, standing
// in for the Nunjucks filters and macros the originals use.
var componentFuncs = template.FuncMap{
	"attrs":     attributes,
	"safe":      func(v any) template.HTML { return template.HTML(str(v)) },
	"htmlOr":    htmlOr,
	"dflt":      dflt,
	"dict":      dict,
	"join":      joinClasses,
	"truthy":    truthyItems,
	"str":       str,
	"endSlot":   endSlot,
	"endInline": endInline,
	"collapse":  collapse,
}

// addComponentFuncs adds helpers to componentFuncs from a component file's
// init, refusing to replace one another file added under the same name (the
// map would keep whichever init ran last, and a template would silently get
// the other).
func addComponentFuncs(funcs map[string]any) {
	for name, f := range funcs {
		if _, taken := componentFuncs[name]; taken {
			panic(fmt.Sprintf("ui: component helper %q is defined twice", name))
		}
		componentFuncs[name] = f
	}
}

// parseComponents adds the component definitions to t.
func parseComponents(t *template.Template) *template.Template {
	return template.Must(t.Funcs(componentFuncs).ParseFS(componentFiles, "components/*.html"))
}

// str prints a value as Nunjucks would: nothing for null or undefined.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case template.HTML:
		return string(x)
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
	}
	return fmt.Sprint(v)
}

// truthy is JavaScript truthiness, as the macros test options.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	case int:
		return x != 0
	}
	return true
}

// htmlOr is `params.html | safe if params.html else params.text`: trusted
// HTML from COP's own templates, or text that html/template escapes.
func htmlOr(htmlValue, text any) any {
	if truthy(htmlValue) {
		return template.HTML(str(htmlValue))
	}
	return str(text)
}

// dflt is Nunjucks' default(): the fallback only when the value is
// undefined (`or` is default(value, true), for any falsy value).
func dflt(v, fallback any) any {
	if v == nil {
		return fallback
	}
	return v
}

// dict builds the options of a nested component call.
func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

// joinClasses appends optional classes to a base class list.
func joinClasses(base string, extra ...any) string {
	out := base
	for _, e := range extra {
		if s := str(e); s != "" {
			out += " " + s
		}
	}
	return out
}

// truthyItems is `list | select("truthy")`.
func truthyItems(v any) []any {
	list, _ := v.([]any)
	var out []any
	for _, item := range list {
		if truthy(item) {
			out = append(out, item)
		}
	}
	return out
}

// attributes is govukAttributes: ` name="value"` pairs from a map whose
// values are plain, or {value, optional} where optional drops empty ones
// and renders true as a bare boolean attribute. A string is used as it is.
func attributes(v any) template.HTMLAttr {
	switch a := v.(type) {
	case string:
		return template.HTMLAttr(a)
	case map[string]any:
		names := make([]string, 0, len(a))
		for n := range a {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, name := range names {
			value, optional := a[name], false
			if m, ok := value.(map[string]any); ok {
				value = m["value"]
				optional, _ = m["optional"].(bool)
			}
			switch {
			case optional && value == true:
				b.WriteString(" " + html.EscapeString(name))
			case optional && (value == nil || value == false):
			default:
				b.WriteString(" " + html.EscapeString(name) + `="` + html.EscapeString(str(value)) + `"`)
			}
		}
		return template.HTMLAttr(b.String())
	}
	return ""
}

// endSlot is the service navigation's end slot: a string, or {html, align}.
func endSlot(slots any) any {
	s, _ := slots.(map[string]any)
	switch end := s["end"].(type) {
	case string:
		return end
	case map[string]any:
		return end["html"]
	}
	return nil
}

func endInline(slots any) bool {
	s, _ := slots.(map[string]any)
	end, _ := s["end"].(map[string]any)
	return end["align"] == "inline"
}

// collapse is `collapseNavigationOnMobile | default(items.length > 1)`.
func collapse(option any, items []any) bool {
	if option == nil {
		return len(items) > 1
	}
	return truthy(option)
}
