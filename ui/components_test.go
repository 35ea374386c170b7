package ui

import (
	"bytes"
	"encoding/json"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// fixturesDir is where `make assets` (npm ci) puts GOV.UK Frontend.
const fixturesDir = "node_modules/govuk-frontend/dist/govuk/components"

// goldenComponents maps each GOV.UK component COP renders to its template,
// and names the fixtures of options COP's templates do not take, with why.
// Every other fixture must render to GOV.UK's HTML.
var goldenComponents = map[string]struct {
	template    string
	unsupported map[string]string
}{
	"skip-link":      {template: "govukSkipLink"},
	"tag":            {template: "govukTag"},
	"phase-banner":   {template: "govukPhaseBanner"},
	"generic-header": {template: "govukGenericHeader"},
	"service-navigation": {template: "govukServiceNavigation", unsupported: map[string]string{
		"with language navigation":               "COP's pages are in English only",
		"with right-aligned language navigation": "COP's pages are in English only",
		"inverse with language navigation":       "COP's pages are in English only",
	}},
}

type fixture struct {
	Name    string         `json:"name"`
	Options map[string]any `json:"options"`
	HTML    string         `json:"html"`
}

func loadFixtures(t *testing.T, component string) []fixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixturesDir, component, "fixtures.json"))
	if err != nil {
		t.Fatalf("GOV.UK Frontend's fixtures are missing (%v): run `make assets`, which installs ui/node_modules", err)
	}
	var doc struct{ Fixtures []fixture }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Fixtures
}

// TestComponentsMatchGOVUKFixtures renders every fixture of every component
// COP uses and compares it with the HTML GOV.UK publishes for it, as
// documents (attribute order, quoting and insignificant whitespace aside).
func TestComponentsMatchGOVUKFixtures(t *testing.T) {
	tmpl := parseComponents(template.New("components"))
	for component, c := range goldenComponents {
		fixtures := loadFixtures(t, component)
		seen := map[string]bool{}
		rendered := 0
		for _, f := range fixtures {
			seen[f.Name] = true
			if _, skip := c.unsupported[f.Name]; skip {
				continue
			}
			var b bytes.Buffer
			if err := tmpl.ExecuteTemplate(&b, c.template, f.Options); err != nil {
				t.Errorf("%s %q: %v", component, f.Name, err)
				continue
			}
			rendered++
			if got, want := canonical(t, b.String()), canonical(t, deviations(component, f.HTML)); got != want {
				t.Errorf("%s %q differs from GOV.UK's markup\n got: %s\nwant: %s", component, f.Name, got, want)
			}
		}
		for name := range c.unsupported {
			if !seen[name] {
				t.Errorf("%s: fixture %q listed as unsupported no longer exists", component, name)
			}
		}
		if rendered == 0 {
			t.Errorf("%s: no fixture rendered", component)
		}
	}
}

// deviations is GOV.UK's markup with COP's one deliberate difference: a
// radio names what it reveals in data-cop-reveals, for cop.js, rather than
// data-aria-controls, which GOV.UK Frontend's Radios module turns into
// aria-expanded on the radio, an attribute radios may not have.
func deviations(component, html string) string {
	if component == "radios" {
		return strings.ReplaceAll(html, "data-aria-controls=", "data-cop-reveals=")
	}
	return html
}

// canonical serialises an HTML fragment with attributes sorted, class lists
// normalised and whitespace-only text dropped, so that two renderings of
// the same document compare equal.
func canonical(t *testing.T, fragment string) string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, n := range nodes {
		writeCanonical(&b, n)
	}
	return b.String()
}

func writeCanonical(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if text := strings.Join(strings.Fields(n.Data), " "); text != "" {
			b.WriteString(html.EscapeString(text))
		}
		return
	case html.CommentNode:
		return
	case html.ElementNode:
		attrs := make([]string, 0, len(n.Attr))
		for _, a := range n.Attr {
			v := a.Val
			if a.Key == "class" {
				v = strings.Join(strings.Fields(v), " ")
			}
			attrs = append(attrs, a.Key+"="+`"`+html.EscapeString(v)+`"`)
		}
		sort.Strings(attrs)
		b.WriteString("<" + n.Data)
		for _, a := range attrs {
			b.WriteString(" " + a)
		}
		b.WriteString(">")
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			writeCanonical(b, c)
		}
		b.WriteString("</" + n.Data + ">")
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeCanonical(b, c)
	}
}
