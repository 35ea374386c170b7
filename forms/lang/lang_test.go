package lang

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// cldrForms are the plural forms each language needs (CLDR).
var cldrForms = map[string][]string{English: {"one", "other"}, Welsh: {"zero", "one", "two", "few", "many", "other"}}

func catalogue(t *testing.T, l string) map[string]any {
	t.Helper()
	raw, err := messageFiles.ReadFile("messages/" + l + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s.json: %v", l, err)
	}
	return m
}

// Every message is in every language, with every plural form the language
// has, and says something.
func TestTheCatalogueIsComplete(t *testing.T) {
	en := catalogue(t, English)
	for _, l := range Supported {
		c := catalogue(t, l)
		for id := range en {
			msg, ok := c[id]
			if !ok {
				t.Errorf("%s: %q has no message", l, id)
				continue
			}
			if _, plural := en[id].(map[string]any); !plural {
				if s, ok := msg.(string); !ok || strings.TrimSpace(s) == "" {
					t.Errorf("%s: %q is empty or not a sentence", l, id)
				}
				continue
			}
			forms, _ := msg.(map[string]any)
			for _, f := range cldrForms[l] {
				if s, _ := forms[f].(string); strings.TrimSpace(s) == "" {
					t.Errorf("%s: %q lacks its %q plural form", l, id, f)
				}
			}
		}
		for id := range c {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %q is not an English message (a typo, or one no longer used)", l, id)
			}
		}
	}
}

// Every message id COP's code and templates ask for is in the catalogue.
var usedID = regexp.MustCompile(`(?:\.T|\.N|\bT|\bN|\.Plurals)\(?\s*"((?:answer|common|check|done|field|layout|month|nav|page|saved|start|time|type|validation|pdf|case|upload)\.[A-Za-z0-9.]+)"`)

func TestEveryMessageAskedForExists(t *testing.T) {
	en := catalogue(t, English)
	root := filepath.Join("..", "..")
	var asked []string
	for _, dir := range []string{"forms", "ui", "platform/web"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "static" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if ext := filepath.Ext(path); (ext != ".go" && ext != ".html") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range usedID.FindAllStringSubmatch(string(raw), -1) {
				asked = append(asked, m[1])
				if strings.HasSuffix(m[1], ".") { // a family of messages, "validation." + keyword
					if !slices.ContainsFunc(slices.Collect(maps.Keys(en)), func(id string) bool { return strings.HasPrefix(id, m[1]) }) {
						t.Errorf("%s asks for messages %q…, which the catalogue lacks", path, m[1])
					}
					continue
				}
				if _, ok := en[m[1]]; !ok {
					t.Errorf("%s asks for %q, which the catalogue lacks", path, m[1])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(asked, "check.declaration") || !slices.Contains(asked, "field.day") {
		t.Errorf("the scan found too little (%d ids): it reads nothing", len(asked))
	}
}

func TestWelshPluralsAndDates(t *testing.T) {
	cy := For(Welsh)
	for n, want := range map[int]string{1: "1 dudalen", 2: "2 dudalen", 3: "3 tudalen", 6: "6 thudalen", 11: "11 tudalen"} {
		if got := cy.N("start.pages", n); !strings.Contains(got, want) {
			t.Errorf("%d pages in Welsh: %q, want %q", n, got, want)
		}
	}
	if got := For(English).N("start.pages", 1); !strings.HasPrefix(got, "The form has 1 page.") {
		t.Errorf("one page in English: %q", got)
	}
	at := time.Date(2026, time.March, 27, 14, 5, 0, 0, time.UTC)
	if got := cy.Date(at) + " " + cy.Clock(at); got != "27 Mawrth 2026 2:05yh" {
		t.Errorf("a date in Welsh: %q", got)
	}
	if got := For(English).Date(at) + " " + For(English).Clock(at); got != "27 March 2026 2:05pm" {
		t.Errorf("a date in English: %q", got)
	}
	if got := cy.Plurals("field.charsUnder"); len(got) != 6 || got["two"] == "" {
		t.Errorf("Welsh plural forms for GOV.UK Frontend: %v", got)
	}
}

func TestALanguageNotOfferedIsEnglish(t *testing.T) {
	for in, want := range map[string]string{"cy": Welsh, "CY": Welsh, "cy-GB": Welsh, "fr": English, "": English, "../../etc": English} {
		if got := Parse(in); got != want {
			t.Errorf("Parse(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"cy-GB,cy;q=0.9,en;q=0.8": Welsh, "fr-FR,en;q=0.5": English, "de,cy;q=0.3": Welsh, "garbage;;": English} {
		if got := FromAcceptLanguage(in); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", in, got, want)
		}
	}
	if got := For("fr").T("common.continue"); got != "Continue" {
		t.Errorf("French falls back to %q", got)
	}
}
