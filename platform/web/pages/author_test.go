package pages_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// kitForm is a form as a new author writes it, in YAML with two mistakes:
// misspelt keywords on line 14 (maxLenght) and line 17 (titel); a "no"
// reveals a question. docs/authoring.md and the journeys use it too.
var kitForm = readTestdata("kit-check.yaml")

// kitFixed is kitForm with both mistakes put right.
var kitFixed = strings.NewReplacer("maxLenght", "maxLength", "titel", "title").Replace(kitForm)

func readTestdata(name string) string {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestAuthoringPages(t *testing.T) {
	e := webtest.New(t)
	author := e.Browser()
	e.SignIn(author, "author").Body.Close()
	officer := e.Browser()
	e.SignIn(officer, "officer").Body.Close()
	home := e.Get(author, "/author")
	csrf := webtest.CSRF(t, home.Body)
	upload := func(path, text string, files ...webtest.FormFile) webtest.PageResult {
		return e.Post(author, path, url.Values{"csrf": {csrf}, "text": {text}}, files...)
	}
	published := func(name string) bool {
		resp, _ := e.Send("GET", "/api/v1/forms/"+name+"/versions", e.Token("author"), nil)
		return resp.StatusCode == 200
	}

	t.Run("only authors and admins have the authoring pages", func(t *testing.T) {
		if home.Status != 200 || !strings.Contains(home.Body, `href="/author"`) || !strings.Contains(text(home.Body), "Forms Upload a form") {
			t.Errorf("the author's /author: %d %s", home.Status, text(home.Body))
		}
		for _, path := range []string{"/author", "/author/upload/forms", "/author/forms/arrival-report"} {
			if page := e.Get(officer, path); page.Status != 404 || !strings.Contains(page.Body, "Page not found") {
				t.Errorf("an officer's %s: %d", path, page.Status)
			}
		}
		if page := e.Get(officer, "/"); strings.Contains(page.Body, `href="/author"`) {
			t.Error("an officer's navigation links Authoring")
		}
		oc := webtest.CSRF(t, e.Get(officer, "/").Body)
		if page := e.Post(officer, "/author/upload/forms", url.Values{"csrf": {oc}, "text": {kitFixed}}); page.Status != 404 {
			t.Errorf("an officer's upload: %d", page.Status)
		}
	})

	t.Run("the list shows each definition's latest version and finds by name", func(t *testing.T) {
		e.Must(201, "POST", "/api/v1/refdata", e.Token("author"), webtest.PortsSet, nil)
		page := e.Get(author, "/author?q=port")
		body := text(page.Body)
		if !strings.Contains(body, "ports 1.0.0 Active") || strings.Contains(body, "arrival-report") {
			t.Errorf("searching for port: %s", body)
		}
	})

	t.Run("an upload with two mistakes: each at its pointer and line, nothing kept", func(t *testing.T) {
		page := upload("/author/upload/forms", kitForm)
		if page.Status != 422 {
			t.Fatalf("%d %s", page.Status, text(page.Body))
		}
		body := text(page.Body)
		for _, want := range []string{"There is a problem", "/schema/properties/radio/maxLenght (line 14, column 7): \"maxLenght\" is not a JSON Schema keyword, so COP would ignore it; did you mean maxLength?",
			"/schema/properties/batteries/titel (line 17, column 7):"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q in %s", want, body)
			}
		}
		for _, anchor := range []string{`href="#line-14"`, `href="#line-17"`, `id="line-14" value="14" class="cop-listing__line--problem"`, `id="line-17"`} {
			if !strings.Contains(page.Body, anchor) {
				t.Errorf("missing %s in %s", anchor, page.Body)
			}
		}
		if !strings.Contains(page.Body, "maxLenght: 20\n    batteries:\n      type: boolean\n      titel: Are the batteries charged?\n    why:") {
			t.Error("the text is not given back to fix")
		}
		if published("kit-check") {
			t.Error("a refused upload was published")
		}
	})

	t.Run("bad input is named and changes nothing", func(t *testing.T) {
		cases := []struct {
			name, path, text string
			files            []webtest.FormFile
			status           int
			want             string
		}{
			{"empty", "/author/upload/forms", "  \n", nil, 422, "Choose a file or paste the form"},
			{"not JSON or YAML", "/author/upload/forms", "name: x\nschema:\n\tb: c\n", nil, 422, "line 3, column 1: The text is not valid YAML or JSON: found character that cannot start any token"},
			{"broken JSON", "/author/upload/forms", "{\n  \"name\": \"x\",\n  \"version\" \"1.0.0\"\n}", nil, 422, "line 3, column 13: The text is not valid JSON: invalid character '\"' after object key"},
			{"too large", "/author/upload/forms", "", []webtest.FormFile{{Field: "file", Name: "big.json", ContentType: "application/json",
				Content: []byte(`{"name":"` + strings.Repeat("x", 1<<20) + `"}`)}}, 422, "The file big.json is 1.0 MB; the largest a form may be is 1 MB"},
			{"not text", "/author/upload/forms", "", []webtest.FormFile{{Field: "file", Name: "kit.yaml", ContentType: "application/yaml",
				Content: []byte("name: \xff\xfe\n")}}, 422, "The file is not text"},
			{"the wrong kind", "/author/upload/forms", "document: {dsl: 1.0.0, namespace: kit, name: w, version: 1.0.0}\ndo: []\n", nil, 422,
				"This looks like a workflow, not a form: upload it on the workflows page"},
		}
		for _, c := range cases {
			page := upload(c.path, c.text, c.files...)
			if page.Status != c.status || !strings.Contains(text(page.Body), c.want) {
				t.Errorf("%s: %d %s", c.name, page.Status, text(page.Body))
			}
		}
		var items []string
		for i := range 150 {
			items = append(items, fmt.Sprintf(`{"code": "c%d"}`, i))
		}
		many := upload("/author/upload/refdata", `{"name": "many", "version": "1.0.0", "title": "Many", "items": [`+strings.Join(items, ",\n")+`]}`)
		if body := text(many.Body); many.Status != 422 || !strings.Contains(body, "/items/99/label (line 100, column 1)") || strings.Contains(body, "/items/100/label") ||
			!strings.Contains(body, "And 50 more problems: fix these and check it again") {
			t.Errorf("150 problems: %d %s", many.Status, text(many.Body)[:min(2000, len(text(many.Body)))])
		}
		if page := e.Get(author, "/author?q=%ff%00"); page.Status != 200 {
			t.Errorf("a search that is not UTF-8: %d", page.Status)
		}
		if page := e.Post(author, "/author/upload/forms", url.Values{"text": {kitFixed}}); page.Status != 403 || !strings.Contains(page.Body, "The page was out of date") {
			t.Errorf("a post without the CSRF token: %d", page.Status)
		}
		if published("kit-check") {
			t.Error("bad input published something")
		}
	})

	var staged string
	t.Run("a fixed upload is checked and kept; publishing is a second step", func(t *testing.T) {
		page := upload("/author/upload/forms", kitFixed)
		if page.Status != 200 || !strings.HasPrefix(page.Path, "/author/uploads/") {
			t.Fatalf("%d %s %s", page.Status, page.Path, text(page.Body))
		}
		staged = page.Path
		if body := text(page.Body); !strings.Contains(body, "This form passed its checks. Nothing is published until you press Publish.") ||
			!strings.Contains(body, "Name kit-check Version 1.0.0 Title Kit check") {
			t.Errorf("the upload's page: %s", body)
		}
		if published("kit-check") {
			t.Fatal("the dry run published")
		}
		other := e.Browser()
		e.SignIn(other, "admin").Body.Close()
		if p := e.Get(other, staged); p.Status != 404 {
			t.Errorf("another author sees the upload: %d", p.Status)
		}
		done := e.Post(author, staged+"/publish", url.Values{"csrf": {csrf}})
		if done.Status != 200 || done.Path != "/author/forms/kit-check/versions/1.0.0?done=published" || !strings.Contains(text(done.Body), "Version 1.0.0 is published.") {
			t.Fatalf("publish: %d %s %s", done.Status, done.Path, text(done.Body))
		}
		again := e.Post(author, staged+"/publish", url.Values{"csrf": {csrf}})
		if again.Status != 200 || again.Path != done.Path {
			t.Errorf("publishing twice: %d %s", again.Status, again.Path)
		}
		if !published("kit-check") {
			t.Error("not published")
		}
	})

	t.Run("version 2 is compared with version 1", func(t *testing.T) {
		v2 := strings.NewReplacer("version: 1.0.0", "version: 1.1.0", "title: Kit check", "title: Kit and vehicle check").Replace(kitFixed)
		page := upload("/author/upload/forms", v2)
		if page.Status != 200 || !strings.Contains(text(page.Body), "Changes since version 1.0.0") {
			t.Fatalf("%d %s", page.Status, text(page.Body))
		}
		if !strings.Contains(page.Body, `<span class="govuk-visually-hidden">Added line`) || !strings.Contains(page.Body, "Kit and vehicle check") {
			t.Error("the changes do not show the new title as added")
		}
		e.Post(author, page.Path+"/publish", url.Values{"csrf": {csrf}})
		diff := e.Get(author, "/author/forms/kit-check/diff?from=1.0.0&to=1.1.0")
		body := text(diff.Body)
		if diff.Status != 200 || !strings.Contains(body, `Removed line 4: "title": "Kit check",`) || !strings.Contains(body, `Added line 4: "title": "Kit and vehicle check",`) {
			t.Errorf("the diff: %d %s", diff.Status, body)
		}
		if none := e.Get(author, "/author/forms/kit-check/diff"); none.Status != 200 || none.Path != "/author/forms/kit-check" {
			t.Errorf("a diff of no versions: %d %s", none.Status, none.Path)
		}
		missing := e.Get(author, "/author/forms/kit-check/diff?from=1.0.0&to=9.9.9")
		if missing.Status != 404 || !strings.Contains(text(missing.Body), "Form kit-check has no version “9.9.9”. Its versions are 1.1.0, 1.0.0.") {
			t.Errorf("a diff with a version that does not exist: %d %s", missing.Status, text(missing.Body))
		}
		versions := text(e.Get(author, "/author/forms/kit-check").Body)
		if !strings.Contains(versions, "1.1.0 Active") || !strings.Contains(versions, "1.0.0 Active") {
			t.Errorf("the versions: %s", versions)
		}
	})

	t.Run("Publish pressed four times at once publishes once", func(t *testing.T) {
		v3 := strings.Replace(kitFixed, "version: 1.0.0", "version: 1.2.0", 1)
		page := upload("/author/upload/forms", v3)
		if page.Status != 200 {
			t.Fatalf("%d %s", page.Status, text(page.Body))
		}
		base, _ := url.Parse(e.Base)
		var reqs []*http.Request
		for range 4 {
			r, _ := http.NewRequest("POST", e.Base+page.Path+"/publish", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Accept", "text/html")
			for _, c := range author.Jar.Cookies(base) {
				r.AddCookie(c)
			}
			reqs = append(reqs, r)
		}
		for _, r := range e.Race(reqs...) {
			if r.Status != 303 {
				t.Errorf("a press answered %d %s", r.Status, text(r.Body))
			}
		}
		var versions int
		if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM definitions WHERE name = 'kit-check' AND version = '1.2.0'`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if versions != 1 {
			t.Errorf("%d versions 1.2.0 stored", versions)
		}
	})

	t.Run("a version that clashes is a clear error, at the version", func(t *testing.T) {
		clash := strings.Replace(kitFixed, "title: Kit check", "title: Another kit check", 1)
		page := upload("/author/upload/forms", clash)
		if page.Status != 409 || !strings.Contains(text(page.Body), "/version (line 2, column 1): Version 1.0.0 of form kit-check is already published with other content") {
			t.Errorf("%d %s", page.Status, text(page.Body))
		}
	})

	t.Run("retiring: refused with what still pins it, else done", func(t *testing.T) {
		e.Must(201, "POST", "/api/v1/terms", e.Token("author"), `{"name":"serial","version":"1.0.0","title":"Serial number","schema":{"type":"string","maxLength":20}}`, nil)
		e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name":"torch-check","version":"1.0.0","title":"Torch check","schema":{"type":"object","properties":{"serial":{"$ref":"term:serial"}}}}`, nil)
		refused := e.Post(author, "/author/terms/serial/versions/1.0.0/retire", url.Values{"csrf": {csrf}})
		if refused.Status != 409 || !strings.Contains(text(refused.Body), "form:torch-check@1.0.0") {
			t.Errorf("retiring a pinned term: %d %s", refused.Status, text(refused.Body))
		}
		pins := text(e.Get(author, "/author/forms/torch-check/versions/1.0.0").Body)
		if !strings.Contains(pins, "Compiled with") || !strings.Contains(pins, "data term serial: version 1.0.0") {
			t.Errorf("the form's pins: %s", pins)
		}
		done := e.Post(author, "/author/forms/kit-check/versions/1.0.0/retire", url.Values{"csrf": {csrf}})
		if done.Status != 200 || !strings.Contains(text(done.Body), "Version 1.0.0 is retired") || strings.Contains(done.Body, "/retire\"") {
			t.Errorf("retiring: %d %s", done.Status, text(done.Body))
		}
	})

	t.Run("a preview walks the form as an officer would, and stores nothing", func(t *testing.T) {
		start := e.Post(author, staged+"/preview", url.Values{"csrf": {csrf}})
		if start.Status != 200 || !strings.HasSuffix(start.Path, "/pages/radio") {
			t.Fatalf("%d %s", start.Status, start.Path)
		}
		preview := regexp.MustCompile(`^/author/previews/[^/]+`).FindString(start.Path)
		marked := func(p webtest.PageResult) {
			t.Helper()
			if !strings.Contains(text(p.Body), "Preview You are previewing this form as an officer would fill it in.") || !regexp.MustCompile(`<title>(Error: )?Preview: `).MatchString(p.Body) {
				t.Errorf("%s is not marked as a preview: %s", p.Path, text(p.Body))
			}
		}
		marked(start)
		if strings.Contains(start.Body, "Save and come back later") {
			t.Error("a preview offers to save a draft")
		}
		invalid := e.Post(author, preview+"/pages/radio", url.Values{"csrf": {csrf}, "/radio": {""}, "action": {"continue"}})
		if invalid.Status != 422 || !strings.Contains(text(invalid.Body), "Enter radio serial number") {
			t.Errorf("an empty answer: %d %s", invalid.Status, text(invalid.Body))
		}
		marked(invalid)
		next := e.Post(author, preview+"/pages/radio", url.Values{"csrf": {csrf}, "/radio": {"R-1"}, "action": {"continue"}})
		if !strings.HasSuffix(next.Path, "/pages/power") {
			t.Fatalf("after the first page: %s", next.Path)
		}
		more := e.Post(author, preview+"/pages/power", url.Values{"csrf": {csrf}, "/batteries": {"false"}, "action": {"continue"}})
		if !strings.HasSuffix(more.Path, "/pages/power/more") || !strings.Contains(text(more.Body), "Why not?") {
			t.Fatalf("a no reveals its question on a follow-up page: %s %s", more.Path, text(more.Body))
		}
		marked(more)
		check := e.Post(author, preview+"/pages/power/more", url.Values{"csrf": {csrf}, "/why": {"Left in the van"}, "action": {"continue"}})
		if !strings.HasSuffix(check.Path, "/check") || !strings.Contains(text(check.Body), "Why not? Left in the van") {
			t.Fatalf("check your answers: %s %s", check.Path, text(check.Body))
		}
		marked(check)
		done := e.Post(author, preview+"/submit", url.Values{"csrf": {csrf}})
		if done.Status != 200 || !strings.Contains(text(done.Body), "The answers would be accepted Nothing was submitted") ||
			!strings.Contains(text(done.Body), `"why": "Left in the van"`) {
			t.Errorf("the end of the preview: %d %s", done.Status, text(done.Body))
		}
		marked(done)
		_, subs := e.Send("GET", "/api/v1/forms/kit-check/submissions", e.Token("admin"), nil)
		_, drafts := e.Send("GET", "/api/v1/drafts", e.Token("author"), nil)
		if strings.Contains(subs, "R-1") || strings.Contains(drafts, "kit-check") {
			t.Errorf("the preview stored something: submissions %s drafts %s", subs, drafts)
		}
	})
}
