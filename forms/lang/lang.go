// Package lang is COP's own words in the languages it speaks: a message
// catalogue (go-i18n, with CLDR plural rules, so Welsh gets its six plural
// forms) for the buttons, headings, errors and dates COP writes itself. An
// author's words are translated in their definitions (forms.Localize); the
// catalogue is for everything else.
package lang

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// English and Welsh are the languages COP speaks; English is the default
// and the one every definition is written in.
const (
	English = "en"
	Welsh   = "cy"
)

// Supported are the languages pages and messages are offered in, default first.
var Supported = []string{English, Welsh}

//go:embed messages/*.json
var messageFiles embed.FS

var bundle = func() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	for _, l := range Supported {
		name := "messages/" + l + ".json"
		raw, err := messageFiles.ReadFile(name)
		if err != nil {
			panic(fmt.Sprintf("read message catalogue %s: %v", name, err))
		}
		b.MustParseMessageFileBytes(raw, l+".json")
	}
	return b
}()

// Parse is the supported language a request names ("cy", "cy-GB", "CY");
// anything else is English, never an error: a language not offered falls
// back to the default.
func Parse(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if base, _, ok := strings.Cut(s, "-"); ok {
		s = base
	}
	if slices.Contains(Supported, s) {
		return s
	}
	return English
}

// FromAcceptLanguage is the first supported language of an
// Accept-Language header, English when none is.
func FromAcceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return English
	}
	for _, t := range tags {
		base, _ := t.Base()
		if l := Parse(base.String()); l != English || base.String() == English {
			return l
		}
	}
	return English
}

// Words writes COP's messages in one language.
type Words struct {
	Lang string
	loc  *i18n.Localizer
}

// localizers are made once per language: a page asks for dozens of
// messages, and a Localizer is only read once made.
var localizers = func() map[string]*i18n.Localizer {
	m := map[string]*i18n.Localizer{}
	for _, l := range Supported {
		m[l] = i18n.NewLocalizer(bundle, l)
	}
	return m
}()

// For is the words of a language (English for one not supported).
func For(l string) Words {
	l = Parse(l)
	return Words{Lang: l, loc: localizers[l]}
}

// T is the message id with its {{.Name}} placeholders filled from
// name/value pairs. A missing message is a programming error the
// catalogue test catches; it shows its id rather than failing a page.
func (w Words) T(id string, pairs ...any) string {
	return w.localize(id, nil, pairs)
}

// N is the message id in the plural form count takes in the language
// ({{.Count}} is count).
func (w Words) N(id string, count int, pairs ...any) string {
	return w.localize(id, count, append(pairs, "Count", count))
}

func (w Words) localize(id string, count any, pairs []any) string {
	if w.loc == nil {
		w = For(w.Lang)
	}
	data := map[string]any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if k, ok := pairs[i].(string); ok {
			data[k] = pairs[i+1]
		}
	}
	s, err := w.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return id
	}
	return s
}

// Month is a month's name ("March", "Mawrth").
func (w Words) Month(m time.Month) string {
	return w.T(fmt.Sprintf("month.%d", int(m)))
}

// Date writes a date as GOV.UK does: "27 March 2026", "27 Mawrth 2026".
func (w Words) Date(t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), w.Month(t.Month()), t.Year())
}

// Clock writes a time of day as GOV.UK does: "9:30am", "9:30yb".
func (w Words) Clock(t time.Time) string {
	h, suffix := t.Hour(), w.T("time.am")
	if h >= 12 {
		suffix = w.T("time.pm")
	}
	if h = h % 12; h == 0 {
		h = 12
	}
	return fmt.Sprintf("%d:%02d%s", h, t.Minute(), suffix)
}

type ctxKey struct{}

// NewContext carries the language a request is answered in.
func NewContext(ctx context.Context, l string) context.Context {
	return context.WithValue(ctx, ctxKey{}, Parse(l))
}

// FromContext is the language ctx carries, English by default.
func FromContext(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok {
		return l
	}
	return English
}

// pluralSamples are a count in each plural form of each language (CLDR):
// Welsh has six, English two.
var pluralSamples = map[string]map[string]int{
	English: {"one": 1, "other": 2},
	Welsh:   {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 6, "other": 4},
}

// Plurals are every plural form of a message whose text counts with a
// placeholder of its own (GOV.UK Frontend's "%{count}"), by CLDR form
// name: what a component's data-i18n attributes need so its JavaScript
// words the count in the page's language.
func (w Words) Plurals(id string) map[string]any {
	out := map[string]any{}
	for form, n := range pluralSamples[Parse(w.Lang)] {
		out[form] = w.N(id, n)
	}
	return out
}
