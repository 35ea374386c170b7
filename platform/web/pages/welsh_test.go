package pages_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"cop/platform/malware"
	"cop/platform/web/webtest"
)

// publishBilingual uploads the boarding form, written in English and Welsh.
func publishBilingual(e *webtest.Env) []byte {
	e.T.Helper()
	raw, err := os.ReadFile("testdata/boarding-bilingual.json")
	if err != nil {
		e.T.Fatal(err)
	}
	if resp, body := e.Do(nil, "POST", "/api/v1/forms", e.Token("author"), bytes.NewReader(raw), "Content-Type", "application/json"); resp.StatusCode != 201 {
		e.T.Fatalf("publish the bilingual form: %d %s", resp.StatusCode, body)
	}
	return raw
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func langCookie(b *http.Client, e *webtest.Env) string {
	u, _ := url.Parse(e.Base)
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "cop_lang" {
			return c.Value
		}
	}
	return ""
}

// An officer walks a bilingual form in Welsh: the toggle's choice is
// remembered for the session, the form's texts and COP's own words are
// Welsh, refusals are explained in Welsh, and the submission stores the
// answers (not labels), so it reads in either language.
func TestAnOfficerWalksABilingualFormInWelsh(t *testing.T) {
	e := webtest.New(t)
	publishBilingual(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()

	mustContain(t, "the start list in Welsh", e.Get(b, "/start?lang=cy").Body, "Cofnodi byrddio", "Beth a ganfuwyd pan aethpwyd ar fwrdd llong.")
	english := e.Get(b, "/forms/boarding-bilingual?lang=en")
	mustContain(t, "the English start page", english.Body, `<html lang="en-GB"`, "Record a boarding", "Start now",
		`href="/forms/boarding-bilingual?lang=cy" hreflang="cy" lang="cy"`, `<span aria-current="true" lang="en">English</span>`)

	start := e.Get(b, "/forms/boarding-bilingual?lang=cy")
	if start.Status != 200 || langCookie(b, e) != "cy" {
		t.Fatalf("the Welsh start page: %d, language cookie %q", start.Status, langCookie(b, e))
	}
	mustContain(t, "the Welsh start page", start.Body, `<html lang="cy"`, "Cofnodi byrddio", "Beth a ganfuwyd pan aethpwyd ar fwrdd llong.",
		"Dechrau nawr", "Mae gan y ffurflen 2 dudalen", "Gwaith eich tîm", "Allgofnodi", "Neidio i’r prif gynnwys",
		`<span aria-current="true" lang="cy">Cymraeg</span>`, `hreflang="en" lang="en"`)

	// Remembered: the next pages need no ?lang.
	first := e.Post(b, "/forms/boarding-bilingual/start", url.Values{"csrf": {webtest.CSRF(t, start.Body)}})
	if first.Status != 200 || !strings.HasSuffix(first.Path, "/pages/vessel") {
		t.Fatalf("first page: %d %s", first.Status, first.Path)
	}
	mustContain(t, "the first page in Welsh", first.Body, "Tudalen 1 o 2", "Y llong", "Enw’r llong", "Fel y’i paentiwyd ar y corff",
		"Dyddiad byrddio", "Diwrnod", "Mis", "Blwyddyn", "Er enghraifft, 27 3 2026", "A chwiliwyd y llong?", "Ie", "Na",
		"Beth a ganfu’r chwiliad?", "Nwyddau i’w hatafaelu", "Parhau", "Cadw a dod yn ôl yn nes ymlaen")
	token := webtest.CSRF(t, first.Body)

	bad := e.Post(b, first.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/boardedOn-day": {"31"}, "/boardedOn-month": {"2"},
		"/boardedOn-year": {"2026"}, "/searched": {"true"}})
	if bad.Status != 422 {
		t.Fatalf("a page with mistakes answered %d", bad.Status)
	}
	mustContain(t, "the refused page", bad.Body, "<title>Gwall: ", "Mae problem wedi codi")
	got := strings.Join(errorSummary(bad.Body), " | ")
	for _, want := range []string{"Rhowch enw’r llong #f-vessel", "Rhaid i Dyddiad byrddio fod yn ddyddiad go iawn #f-boardedOn-day"} {
		if !strings.Contains(got, want) {
			t.Errorf("the Welsh error summary %q lacks %q", got, want)
		}
	}

	next := e.Post(b, first.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/vessel": {"Morwennol"}, "/boardedOn-day": {"2"},
		"/boardedOn-month": {"12"}, "/boardedOn-year": {"2026"}, "/searched": {"true"}, "/outcome": {"goods"}})
	if next.Status != 200 || !strings.HasSuffix(next.Path, "/pages/notes") {
		t.Fatalf("the second page: %d %s", next.Status, next.Path)
	}
	mustContain(t, "the second page", next.Body, "Tudalen 2 o 2", "Nodiadau", "Gallwch roi hyd at 200 nod",
		`data-i18n.characters-under-limit.two=`, `data-i18n.characters-under-limit.many=`)
	check := e.Post(b, next.Path, url.Values{"csrf": {webtest.CSRF(t, next.Body)}, "action": {"continue"}, "/notes": {"Dim"}})
	if check.Status != 200 || !strings.HasSuffix(check.Path, "/check") {
		t.Fatalf("check answers: %d %s", check.Status, check.Path)
	}
	mustContain(t, "check your answers", check.Body, "Gwiriwch eich atebion cyn eu cyflwyno", "Nwyddau i’w hatafaelu", "Morwennol",
		"Nawr anfonwch eich atebion", "Cyflwyno")

	done := e.Post(b, strings.TrimSuffix(check.Path, "/check")+"/submit", url.Values{"csrf": {webtest.CSRF(t, check.Body)}})
	if done.Status != 200 {
		t.Fatalf("submit: %d %s", done.Status, done.Path)
	}
	mustContain(t, "the confirmation", done.Body, "Cofnodi byrddio wedi’i chyflwyno", "Cyfeirnod eich achos", "Beth sy’n digwydd nesaf",
		"Bydd y tîm byrddio yn adolygu eich cofnod.")

	// The submission holds answers, not Welsh labels.
	id := strings.Split(strings.TrimPrefix(done.Path, "/submissions/"), "?")[0]
	var sub struct {
		Data map[string]any `json:"data"`
	}
	e.Must(200, "GET", "/api/v1/submissions/"+id, e.Token("officer"), nil, &sub)
	if sub.Data["outcome"] != "goods" || sub.Data["searched"] != true || sub.Data["boardedOn"] != "2026-12-02" {
		t.Errorf("the stored answers: %+v", sub.Data)
	}

	// Back to English: the same form, English words.
	again := e.Get(b, "/forms/boarding-bilingual?lang=en")
	mustContain(t, "back in English", again.Body, `<html lang="en-GB"`, "Record a boarding", "Start now")
	if langCookie(b, e) != "en" {
		t.Errorf("the language cookie after choosing English: %q", langCookie(b, e))
	}
}

// A language COP does not offer is English, never an error page; a form
// without Welsh reads in English amid COP's Welsh words.
func TestALanguageNotOfferedFallsBackToEnglish(t *testing.T) {
	e, b, _, _, _ := officerJourney(t)
	for _, path := range []string{"/forms/vehicle-check?lang=fr", "/forms/vehicle-check?lang=%00%ff", "/forms/vehicle-check?lang=" + strings.Repeat("x", 500)} {
		p := e.Get(b, path)
		if p.Status != 200 || !strings.Contains(p.Body, `<html lang="en-GB"`) || !strings.Contains(p.Body, "Start now") {
			t.Errorf("%s: %d, not the English page", path, p.Status)
		}
	}
	cy := e.Get(b, "/forms/vehicle-check?lang=cy")
	mustContain(t, "an English-only form on a Welsh page", cy.Body, `<html lang="cy"`, "Dechrau nawr", "Vehicle check")
}

// API callers are answered in the language they accept: the same answers
// are refused, in Welsh words.
func TestTheAPIExplainsRefusalsInTheLanguageAccepted(t *testing.T) {
	e := webtest.New(t)
	publishBilingual(e)
	answers := `{"vessel": "` + strings.Repeat("x", 61) + `", "searched": true}`
	refusal := func(header ...string) map[string]string {
		resp, body := e.Do(nil, "POST", "/api/v1/forms/boarding-bilingual/submissions", e.Token("officer"), strings.NewReader(answers),
			append([]string{"Content-Type", "application/json"}, header...)...)
		if resp.StatusCode != 422 {
			t.Fatalf("bad answers answered %d %s", resp.StatusCode, body)
		}
		var p struct {
			Errors []struct{ Pointer, Message string } `json:"errors"`
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, x := range p.Errors {
			out[x.Pointer] = x.Message
		}
		return out
	}
	en, cy := refusal(), refusal("Accept-Language", "cy-GB,cy;q=0.9,en;q=0.5")
	if en["/vessel"] != "Name of the vessel must be 60 characters or fewer" || cy["/vessel"] != "Rhaid i Enw’r llong fod yn 60 nod neu lai" {
		t.Errorf("maxLength: English %q, Welsh %q", en["/vessel"], cy["/vessel"])
	}
	if en["/boardedOn"] != "Enter date of boarding" || cy["/boardedOn"] != "Rhowch dyddiad byrddio" {
		t.Errorf("required: English %q, Welsh %q", en["/boardedOn"], cy["/boardedOn"])
	}
	if len(en) != len(cy) {
		t.Errorf("English refuses %v, Welsh %v", en, cy)
	}
}

// A form that declares Welsh is refused while any text lacks it, at that
// text's pointer; nothing is published.
func TestABilingualFormMissingWelshIsRefused(t *testing.T) {
	e := webtest.New(t)
	raw, err := os.ReadFile("testdata/boarding-bilingual.json")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(raw), `"/ui/pages/1/title": "Unrhyw beth arall",`, ``, 1)
	broken = strings.Replace(broken, `"/schema/properties/vessel/title": "Enw’r llong",`, `"/schema/properties/outcome/oneOf/0/const": "dim",`, 1)
	resp, body := e.Do(nil, "POST", "/api/v1/forms", e.Token("author"), strings.NewReader(broken), "Content-Type", "application/json")
	p := webtest.ProblemOf(t, resp, body, 422)
	want := map[string]string{
		"/ui/pages/1/title":               "Welsh text is missing",
		"/schema/properties/vessel/title": "Welsh text is missing",
		"/ui/translations/cy/~1schema~1properties~1outcome~1oneOf~10~1const": "names no text",
	}
	for _, x := range p.Errors {
		if w, ok := want[x.Pointer]; ok && strings.Contains(x.Message, w) {
			delete(want, x.Pointer)
		}
	}
	if len(want) > 0 {
		t.Errorf("no problem at %v in %s", want, body)
	}
	if resp, _ := e.Send("GET", "/api/v1/forms/boarding-bilingual", e.Token("author"), nil); resp.StatusCode != 404 {
		t.Errorf("the refused form was published: %d", resp.StatusCode)
	}
}

// A workflow's task titles and notifications carry their Welsh: the task
// list and the notification banner read in the officer's language, and
// the API gives every language.
func TestTaskTitlesAndNotificationsInWelsh(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")
	e.Send("POST", "/api/v1/forms", author, webtest.ApprovalForm)
	wf := `document:
  dsl: '1.0.0'
  namespace: border-force
  name: welsh-review
  version: '1.0.0'
  metadata:
    casePrefix: WR
    translations:
      cy:
        /do/0/tell/with/title: '${ "Atafaeliad i’w adolygu: \(.goods)" }'
        /do/0/tell/with/body: Mae angen i oruchwyliwr ei adolygu.
        /do/1/approve/with/title: '${ "Cymeradwyo atafaeliad: \(.goods)" }'
do:
  - tell:
      call: notify
      with:
        to: [role:officer]
        title: '${ "Seizure to review: \(.goods)" }'
        body: A supervisor needs to review it.
      output:
        as: $input
  - approve:
      call: userTask
      with: {form: seizure-approval, title: '${ "Approve seizure: \(.goods)" }', candidateGroups: [role:supervisor]}
`
	if resp, body := e.PublishYAML(author, wf); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/border-force/welsh-review/instances", e.Token("integrator"),
		map[string]any{"input": map[string]any{"goods": "12 kg"}}, &in)
	task := e.WaitTask(e.Token("supervisor"), in.ID)
	if task.Title != "Approve seizure: 12 kg" {
		t.Errorf("the English title: %q", task.Title)
	}
	var withTitles struct {
		Titles map[string]string `json:"titles"`
	}
	e.Must(200, "GET", "/api/v1/tasks/"+task.ID, e.Token("supervisor"), nil, &withTitles)
	if withTitles.Titles["cy"] != "Cymeradwyo atafaeliad: 12 kg" {
		t.Errorf("the API's titles: %v", withTitles.Titles)
	}

	sup := e.Browser()
	e.SignIn(sup, "supervisor").Body.Close()
	mustContain(t, "the supervisor's task list in Welsh", e.Get(sup, "/?lang=cy").Body, "Cymeradwyo atafaeliad: 12 kg")
	mustContain(t, "the supervisor's task list in English", e.Get(sup, "/?lang=en").Body, "Approve seizure: 12 kg")

	officer := e.Browser()
	e.SignIn(officer, "officer").Body.Close()
	mustContain(t, "the officer's banner in Welsh", e.Get(officer, "/?lang=cy").Body, "Atafaeliad i’w adolygu: 12 kg",
		"Mae angen i oruchwyliwr ei adolygu.")
	mustContain(t, "the officer's banner in English", e.Get(officer, "/?lang=en").Body, "Seizure to review: 12 kg", "A supervisor needs to review it.")
}

// Uploads are refused in the language accepted too: a virus, an empty
// file, the wrong type.
func TestUploadRefusalsInWelsh(t *testing.T) {
	e := webtest.New(t)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name": "statement", "version": "1.0.0", "title": "Statement",
		"schema": {"type": "object", "properties": {"evidence": {"type": "string", "format": "cop-file", "title": "Evidence",
			"contentMediaType": "application/pdf"}}}}`, nil)
	officer := e.Token("officer")
	field := map[string]string{"form": "statement", "field": "/evidence"}
	upload := func(name, contentType string, content []byte) string {
		body, bodyType := webtest.MultipartFile(field, name, contentType, content)
		resp, text := e.Do(nil, "POST", "/api/v1/files", officer, strings.NewReader(body), "Content-Type", bodyType, "Accept-Language", "cy")
		p := webtest.ProblemOf(t, resp, text, 422)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != "/file" {
			t.Fatalf("%s: %s", name, text)
		}
		return p.Errors[0].Message
	}
	for _, c := range []struct{ name, contentType, want string }{
		{"eicar.com", "application/octet-stream", "Mae feirws (Eicar-Test-Signature) yn y ffeil a ddewiswyd ac nid yw wedi’i chadw"},
		{"note.txt", "text/plain", "Rhaid i’r ffeil a ddewiswyd fod yn PDF"},
	} {
		content := malware.EICAR()
		if c.name == "note.txt" {
			content = []byte("a note")
		}
		if got := upload(c.name, c.contentType, content); got != c.want {
			t.Errorf("%s in Welsh: %q, want %q", c.name, got, c.want)
		}
	}
	if got := upload("empty.pdf", "application/pdf", nil); got != "Mae’r ffeil a ddewiswyd yn wag" {
		t.Errorf("an empty file in Welsh: %q", got)
	}
}
