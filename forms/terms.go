package forms

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TermDefinition is a shared data term: a named, versioned JSON Schema
// (Person, Passport, Port, ...) that forms refer to as "term:NAME".
type TermDefinition struct {
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema"`
	// Translations are the term's texts in other languages, by language
	// and the JSON pointer of each text ("/schema/properties/name/title").
	Translations map[string]map[string]string `json:"translations,omitempty"`
}

// ParseTerm decodes an uploaded data term.
func ParseTerm(raw []byte) (TermDefinition, error) {
	var t TermDefinition
	if err := decodeStrict(raw, &t); err != nil {
		return TermDefinition{}, err
	}
	var p Problems
	p = append(p, requireText("/name", t.Name)...)
	p = append(p, requireText("/version", t.Version)...)
	p = append(p, requireText("/title", t.Title)...)
	if len(strings.TrimSpace(string(t.Schema))) == 0 {
		p = append(p, Problem{"/schema", "a term needs a schema (a JSON Schema 2020-12 object)"})
	}
	p = append(p, checkOwnTranslations(raw, t.Translations)...)
	if len(p) > 0 {
		return TermDefinition{}, p
	}
	return t, nil
}

// RefData is a reference data set: named, versioned values (countries, ports,
// teams) that a form field can take, each valid for a period.
type RefData struct {
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Items       []RefItem `json:"items"`
	// Translations are the set's texts in other languages, by language and
	// the JSON pointer of each text ("/items/3/label").
	Translations map[string]map[string]string `json:"translations,omitempty"`
}

// RefItem is one value. ValidFrom and ValidTo are inclusive dates
// (YYYY-MM-DD); empty means unbounded.
type RefItem struct {
	Code       string         `json:"code"`
	Label      string         `json:"label"`
	ValidFrom  string         `json:"validFrom,omitempty"`
	ValidTo    string         `json:"validTo,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// MaxRefDataItems bounds one set; bigger look-up tables belong in a service.
const MaxRefDataItems = 50000

// ParseRefData decodes and checks an uploaded reference data set.
func ParseRefData(raw []byte) (RefData, error) {
	var d RefData
	if err := decodeStrict(raw, &d); err != nil {
		return RefData{}, err
	}
	var p Problems
	p = append(p, requireText("/name", d.Name)...)
	p = append(p, requireText("/version", d.Version)...)
	p = append(p, requireText("/title", d.Title)...)
	switch {
	case len(d.Items) == 0:
		p = append(p, Problem{"/items", "a reference data set needs at least one item"})
	case len(d.Items) > MaxRefDataItems:
		p = append(p, Problem{"/items", fmt.Sprintf("a reference data set holds at most %d items; this one has %d", MaxRefDataItems, len(d.Items))})
	}
	seen := map[string]int{}
	for i, it := range d.Items {
		at := fmt.Sprintf("/items/%d", i)
		if strings.TrimSpace(it.Code) == "" || len(it.Code) > 200 {
			p = append(p, Problem{at + "/code", "code is required (at most 200 characters)"})
		} else if first, dup := seen[it.Code]; dup {
			p = append(p, Problem{at + "/code", fmt.Sprintf("code %q is already used by item %d", it.Code, first)})
		} else {
			seen[it.Code] = i
		}
		if strings.TrimSpace(it.Label) == "" {
			p = append(p, Problem{at + "/label", "label is required"})
		}
		p = append(p, checkValidity(at, it)...)
	}
	p = append(p, checkOwnTranslations(raw, d.Translations)...)
	if len(p) > 0 {
		return RefData{}, p
	}
	return d, nil
}

func checkValidity(at string, it RefItem) Problems {
	var p Problems
	for _, f := range []struct{ name, value string }{{"validFrom", it.ValidFrom}, {"validTo", it.ValidTo}} {
		if f.value == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, f.value); err != nil {
			p = append(p, Problem{at + "/" + f.name, fmt.Sprintf("%s must be a date like 2026-01-31, not %q", f.name, f.value)})
		}
	}
	if len(p) == 0 && it.ValidFrom != "" && it.ValidTo != "" && it.ValidTo < it.ValidFrom {
		p = append(p, Problem{at + "/validTo", "validTo is before validFrom"})
	}
	return p
}

// ValidOn reports whether the item is valid on a day (UTC).
func (it RefItem) ValidOn(day time.Time) bool {
	d := day.UTC().Format(time.DateOnly)
	return (it.ValidFrom == "" || d >= it.ValidFrom) && (it.ValidTo == "" || d <= it.ValidTo)
}

// Item returns the item with a code.
func (d RefData) Item(code string) (RefItem, bool) {
	for _, it := range d.Items {
		if it.Code == code {
			return it, true
		}
	}
	return RefItem{}, false
}

// RefQuery selects items of a set for a look-up.
type RefQuery struct {
	Code string    // exact code
	Text string    // case-insensitive part of the code or label
	On   time.Time // only items valid on this day; zero: every item
}

// Find returns the items matching q, in the set's order.
func (d RefData) Find(q RefQuery) []RefItem {
	text := strings.ToLower(q.Text)
	out := []RefItem{}
	for _, it := range d.Items {
		if q.Code != "" && it.Code != q.Code {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(it.Code), text) && !strings.Contains(strings.ToLower(it.Label), text) {
			continue
		}
		if !q.On.IsZero() && !it.ValidOn(q.On) {
			continue
		}
		out = append(out, it)
	}
	return out
}
