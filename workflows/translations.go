package workflows

import (
	"maps"
	"slices"
	"strings"
)

// A workflow's texts that officers read (user task titles, notification
// titles and bodies) are written in English. Their Welsh lives beside
// them as a form's does: document.metadata.translations.cy maps the JSON
// pointer of each text to its translation, which may be an expression
// where the English is one:
//
//	metadata:
//	  translations:
//	    cy:
//	      /do/1/approve/with/title: '${ "Cymeradwyo atafaeliad: \(.goods)" }'
//
// A key naming anything else is refused at the key.

// TranslationLanguages are the languages a workflow may be translated into.
var TranslationLanguages = []string{"cy"}

// Translations are the workflow's translations: by language, the text
// (or expression) for each translated text's pointer.
func (w *Workflow) Translations() map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := w.Document.Metadata["translations"].(map[string]any)
	for l, tr := range all {
		if m, ok := tr.(map[string]any); ok {
			out[l] = m
		}
	}
	return out
}

// text records a translatable text at ptr.
func (c *checker) text(v any, ptr string, scope []string) {
	if s, ok := v.(string); !ok || s == "" {
		return
	}
	if c.texts == nil {
		c.texts = map[string][]string{}
	}
	c.texts[ptr] = scope
}

// translations checks document.metadata.translations: languages COP
// translates into, keys naming a text, values that are text or an
// expression that compiles.
func (c *checker) translations(md map[string]any) {
	raw, ok := md["translations"]
	if !ok {
		return
	}
	const at = "/document/metadata/translations"
	all, isMap := raw.(map[string]any)
	if !isMap {
		c.add(at, "translations must map a language (cy) to the texts in it, by pointer")
		return
	}
	for _, l := range slices.Sorted(maps.Keys(all)) {
		lp := at + "/" + EscapeToken(l)
		if !slices.Contains(TranslationLanguages, l) {
			c.add(lp, "language %q is not one COP translates into; use %s", l, strings.Join(TranslationLanguages, ", "))
			continue
		}
		tr, isMap := all[l].(map[string]any)
		if !isMap {
			c.add(lp, "the translations into %s must map the pointer of each text to its translation", l)
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(tr)) {
			kp := lp + "/" + EscapeToken(key)
			scope, known := c.texts[key]
			if !known {
				c.add(kp, "%q names no text officers read; keys are the pointers of a userTask's with/title or a notify's with/title and with/body, like \"/do/0/review/with/title\"", key)
				continue
			}
			if s, isStr := tr[key].(string); !isStr || strings.TrimSpace(s) == "" {
				c.add(kp, "the translation must be text, or an expression giving text")
				continue
			}
			c.exprs(tr[key], kp, scope)
		}
	}
}
