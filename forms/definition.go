// Package forms is COP's form domain, in pure Go: the definitions authors
// upload (forms, shared data terms, reference data), their compilation into
// JSON Schema 2020-12 validators, human-readable validation errors, and the
// rendering model the officer pages are drawn from. Nothing here touches
// HTTP, SQL or Temporal; the platform resolves terms and reference data
// through the Resolver interface.
package forms

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Definition is a form as its author uploads it.
type Definition struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// CasePrefix starts the business keys of the cases this form opens
	// ("ARR" gives ARR-20261121-1); derived from the name when absent.
	CasePrefix string          `json:"casePrefix,omitempty"`
	Schema     json.RawMessage `json:"schema"`
	UI         *UI             `json:"ui,omitempty"`
	Access     Access          `json:"access"`
	// Languages are the languages the form is offered in ("en" and "cy"):
	// upload then refuses it while any of its texts lacks a translation.
	Languages []string `json:"languages,omitempty"`
}

// Heading is what a list of forms shows of one: read from a stored
// definition without compiling it.
type Heading struct {
	Name, Version, Title, Description string
	// Start is access.start: who may submit it (empty: anyone signed in).
	Start []string
	// Startable is ui.startable: false when it is filled in only inside tasks.
	Startable bool
	// Translations are ui.translations, for the title and description in
	// another language (In).
	Translations map[string]map[string]Translated
}

// In is the heading in language l: its title and description where the
// form translates them.
func (h Heading) In(l string) Heading {
	tr := h.Translations[l]
	if t := tr["/title"]; t.Field == nil && t.Text != "" {
		h.Title = t.Text
	}
	if t := tr["/description"]; t.Field == nil && t.Text != "" {
		h.Description = t.Text
	}
	return h
}

// ReadHeading reads a stored definition's heading.
func ReadHeading(raw []byte) (Heading, error) {
	var d struct {
		Name, Version, Title, Description string
		Access                            struct{ Start []string }
		UI                                *UI
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return Heading{}, fmt.Errorf("read the heading of a form: %w", err)
	}
	h := Heading{Name: d.Name, Version: d.Version, Title: d.Title, Description: d.Description, Start: d.Access.Start,
		Startable: d.UI.IsStartable()}
	if d.UI != nil {
		h.Translations = d.UI.Translations
	}
	return h, nil
}

// Access says who may submit a form (start) and who may read what was
// submitted (read), as "role:NAME" or "team:NAME" entries. An empty start
// list lets any signed-in user submit. Besides the read list, the
// submitter, admins and supervisors sharing a team with the submitter read.
type Access struct {
	Start []string `json:"start,omitempty"`
	Read  []string `json:"read,omitempty"`
}

// UI carries presentation hints that JSON Schema has no words for.
type UI struct {
	// Pages splits the form into a journey; each lists top-level property
	// names. Without pages the form is one page.
	Pages []UIPage `json:"pages,omitempty"`
	// Order is the order of top-level fields when there are no pages
	// (default: the schema's property order).
	Order []string `json:"order,omitempty"`
	// Fields holds hints per field, keyed by the field's JSON pointer
	// without array indices: "/vessel/name", "/crew/name" for the name of
	// every crew member.
	Fields map[string]UIField `json:"fields,omitempty"`
	// Confirmation is what the confirmation page says under "What happens
	// next": plain text, paragraphs split by a blank line.
	Confirmation string `json:"confirmation,omitempty"`
	// Startable false: the form is filled in only inside tasks, so it is
	// not offered under Start something new and cannot be started there.
	Startable *bool `json:"startable,omitempty"`
	// Translations are the form's texts in other languages, by language
	// ("cy", Welsh) and the JSON pointer of each text in the definition
	// (see translate.go).
	Translations map[string]map[string]Translated `json:"translations,omitempty"`
}

// UIText is a field's label and hint in one language, as translations
// were keyed before they named each text by its pointer.
type UIText struct {
	Label string `json:"label,omitempty"`
	Hint  string `json:"hint,omitempty"`
}

// IsStartable says whether officers may start the form on its own (the
// default) rather than only inside tasks.
func (u *UI) IsStartable() bool { return u == nil || u.Startable == nil || *u.Startable }

// MaxConfirmation is the longest ui.confirmation, in characters.
const MaxConfirmation = 2000

// ConfirmationParagraphs are ui.confirmation's paragraphs (none without ui).
func (u *UI) ConfirmationParagraphs() []string {
	if u == nil {
		return nil
	}
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(u.Confirmation, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// UIPage is one page of a journey.
type UIPage struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Fields      []string `json:"fields"`
}

// UIField is the hints for one field.
type UIField struct {
	// Widget overrides the kind inferred from the schema: text, textarea,
	// number, date, radios, checkboxes, select, yesno, file.
	Widget string `json:"widget,omitempty"`
	Label  string `json:"label,omitempty"` // default: the schema's title, else the property name in words
	Hint   string `json:"hint,omitempty"`  // default: the schema's description
	// ItemLabel names one entry of a repeating group ("Crew member").
	ItemLabel string `json:"itemLabel,omitempty"`
	// Width is the GOV.UK input width class suffix ("10", "one-half", ...).
	Width string `json:"width,omitempty"`
}

// FieldError is one validation failure, located by the JSON pointer of the
// value in the submitted data and said in words an officer understands.
type FieldError struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

// Problem is one thing wrong with an uploaded definition, located by the
// JSON pointer into the uploaded document ("/schema/properties/port/pattern"):
// a field error like any other.
type Problem = FieldError

// Problems is the error a compile returns when the definition is refused.
type Problems []Problem

func (p Problems) Error() string {
	if len(p) == 0 {
		return "no problems"
	}
	msg := p[0].Pointer + ": " + p[0].Message
	if len(p) > 1 {
		msg += " (and " + strconv.Itoa(len(p)-1) + " more)"
	}
	return msg
}
