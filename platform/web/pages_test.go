package web

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"cop/forms/examples"
	"cop/platform/testenv"
	"cop/platform/web/pages"
)

// The officer pages, driven over HTTP as a browser without JavaScript
// would: every form post with the page's own CSRF token. The browser
// journeys (browser_test.go) drive the same pages in Chromium.

// publishPageFixtures uploads the forms and workflow the page tests use;
// no example pack or other test uses them.
func (e *env) publishPageFixtures() {
	e.t.Helper()
	author := e.token("author")
	for _, name := range []string{"vehicle-check.json", "vehicle-decision.json", "cargo-check.json"} {
		raw, err := os.ReadFile("testdata/pages/" + name)
		if err != nil {
			e.t.Fatal(err)
		}
		if resp, body := e.do(nil, "POST", "/api/v1/forms", author, bytes.NewReader(raw), "Content-Type", "application/json"); resp.StatusCode != 201 {
			e.t.Fatalf("publish %s: %d %s", name, resp.StatusCode, body)
		}
	}
	raw, err := os.ReadFile("testdata/pages/vehicle-check.yaml")
	if err != nil {
		e.t.Fatal(err)
	}
	if resp, body := e.publishYAML(author, string(raw)); resp.StatusCode != 201 {
		e.t.Fatalf("publish workflow: %d %s", resp.StatusCode, body)
	}
}

// pageResult is a page the browser ended on.
type pageResult struct {
	status int
	path   string // where the redirects ended, with its query
	body   string
}

// get loads a page, following redirects.
func (e *env) get(b *http.Client, path string) pageResult {
	e.t.Helper()
	resp, body := e.do(b, "GET", path, "", nil, "Accept", "text/html")
	return pageResult{resp.StatusCode, resp.Request.URL.RequestURI(), body}
}

// post submits a page form (multipart, as the journey pages do), following
// the redirect after it.
func (e *env) post(b *http.Client, path string, form url.Values, files ...upload) pageResult {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="` + f.field + `"; filename="` + f.name + `"`}
		h["Content-Type"] = []string{f.contentType}
		part, _ := w.CreatePart(h)
		_, _ = part.Write(f.content)
	}
	_ = w.Close()
	resp, body := e.do(b, "POST", path, "", &buf, "Content-Type", w.FormDataContentType(), "Accept", "text/html")
	return pageResult{resp.StatusCode, resp.Request.URL.RequestURI(), body}
}

type upload struct {
	field, name, contentType string
	content                  []byte
}

var csrfOnPage = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token the page's forms carry.
func csrf(t *testing.T, body string) string {
	t.Helper()
	m := csrfOnPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return m[1]
}

// errorSummary is the error summary's messages with where each links.
func errorSummary(body string) []string {
	i := strings.Index(body, `govuk-error-summary__list`)
	if i < 0 {
		return nil
	}
	end := strings.Index(body[i:], `</ul>`)
	links := regexp.MustCompile(`<a href="([^"]+)">([^<]+)</a>`).FindAllStringSubmatch(body[i:i+end], -1)
	var out []string
	for _, l := range links {
		out = append(out, html.UnescapeString(l[2])+" "+l[1])
	}
	return out
}

// startJourney opens the vehicle check as the signed-in officer and
// returns the first page.
func (e *env) startJourney(b *http.Client) pageResult {
	e.t.Helper()
	start := e.get(b, "/forms/vehicle-check")
	if start.status != 200 || !strings.Contains(start.body, "Start now") {
		e.t.Fatalf("start page: %d %s", start.status, start.body)
	}
	first := e.post(b, "/forms/vehicle-check/start", url.Values{"csrf": {csrf(e.t.(*testing.T), start.body)}})
	if first.status != 200 || !strings.HasSuffix(first.path, "/pages/vehicle") {
		e.t.Fatalf("first page: %d %s", first.status, first.path)
	}
	return first
}

func draftOf(path string) string {
	return strings.Split(strings.TrimPrefix(path, "/drafts/"), "/")[0]
}

// officerJourney signs an officer in on a server with the page fixtures
// and opens the vehicle check: the browser, the first page, the page's
// CSRF token and the draft's id.
func officerJourney(t *testing.T, opts ...func(*envOption)) (*env, *http.Client, pageResult, string, string) {
	t.Helper()
	e := newEnv(t, opts...)
	e.publishPageFixtures()
	b := e.browser()
	e.signIn(b, "officer").Body.Close()
	page := e.startJourney(b)
	return e, b, page, csrf(t, page.body), draftOf(page.path)
}

// vehicleAnswers are good answers to the vehicle check's first page, with
// some changed or added.
func vehicleAnswers(token string, changes url.Values) url.Values {
	v := url.Values{"csrf": {token}, "action": {"continue"}, "/registration": {"AB12 CDE"},
		"/checkedOn-day": {"1"}, "/checkedOn-month": {"1"}, "/checkedOn-year": {"2026"}, "/vehicleType": {"car"}, "/occupantCount": {"1"}}
	for k, vs := range changes {
		v[k] = vs
	}
	return v
}

func TestFormJourneyPageByPage(t *testing.T) {
	e := newEnv(t, withWorker)
	e.publishPageFixtures()
	b := e.browser()
	e.signIn(b, "officer").Body.Close()

	startList := e.get(b, "/start")
	if !strings.Contains(startList.body, `href="/forms/vehicle-check"`) || !strings.Contains(startList.body, "Review a vehicle check") {
		t.Fatalf("the start page does not offer the vehicle check:\n%s", startList.body)
	}
	page := e.startJourney(b)
	draft := draftOf(page.path)
	token := csrf(t, page.body)
	for _, want := range []string{`name="/registration"`, `name="/checkedOn-day"`, `<select class="govuk-select" id="f-vehicleType" name="/vehicleType"`,
		`inputmode="decimal"`, "Page 1 of 3"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the first page lacks %s", want)
		}
	}

	// Mistakes come back as GOV.UK's error summary and inline messages,
	// and what was typed is kept (and saved).
	bad := e.post(b, page.path, url.Values{"csrf": {token}, "js": {""}, "action": {"continue"},
		"/registration": {`<script>alert("x")</script> AB12 CDE`}, "/checkedOn-day": {"31"}, "/checkedOn-month": {"2"}, "/checkedOn-year": {"2026"},
		"/vehicleType": {"van"}, "/occupantCount": {"two"}})
	if bad.status != 422 {
		t.Fatalf("a page with errors answered %d", bad.status)
	}
	wantErrs := []string{"Date of the check must be a real date #f-checkedOn-day", "Number of people in the vehicle must be a number #f-occupantCount"}
	if got := errorSummary(bad.body); strings.Join(got, "|") != strings.Join(wantErrs, "|") {
		t.Errorf("error summary %q, want %q", got, wantErrs)
	}
	for _, want := range []string{`<title>Error: The vehicle – COP</title>`, `<p id="f-occupantCount-error" class="govuk-error-message">`,
		`value="two"`, `value="31"`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; AB12 CDE`} {
		if !strings.Contains(bad.body, want) {
			t.Errorf("the page with errors lacks %s", want)
		}
	}
	if strings.Contains(bad.body, `<script>alert`) {
		t.Error("an answer's HTML reached the page unescaped")
	}

	// Fixed: on to the next page, and the draft remembers where; one press
	// of Continue saves the draft once, with one audit row.
	saves := func() int {
		n := 0
		for _, r := range e.auditRows() {
			if r.Action == "draft.save" && r.Resource == "draft:"+draft {
				n++
			}
		}
		return n
	}
	before := saves()
	next := e.post(b, page.path, url.Values{"csrf": {token}, "action": {"continue"},
		"/registration": {`<script>alert("x")</script> AB12 CDE`}, "/checkedOn-day": {"3"}, "/checkedOn-month": {"11"}, "/checkedOn-year": {"2026"},
		"/vehicleType": {"van"}, "/occupantCount": {"2"}})
	if next.status != 200 || next.path != "/drafts/"+draft+"/pages/search" {
		t.Fatalf("after the first page: %d %s", next.status, next.path)
	}
	if n := saves() - before; n != 1 {
		t.Errorf("one press of Continue saved the draft %d times", n)
	}
	var saved struct {
		Data map[string]any
		Page string
	}
	e.must(200, "GET", "/api/v1/drafts/"+draft, e.token("officer"), nil, &saved)
	if saved.Page != "search" || saved.Data["checkedOn"] != "2026-11-03" || saved.Data["occupantCount"] != 2.0 || saved.Data["vehicleType"] != "van" {
		t.Errorf("draft after page 1: %+v", saved)
	}

	// Without JavaScript the follow-up question comes on a page of its own.
	more := e.post(b, next.path, url.Values{"csrf": {token}, "action": {"continue"}, "/searched": {"true"}, "/concerns": {"goods", "people"}})
	if more.status != 200 || more.path != "/drafts/"+draft+"/pages/search/more" || !strings.Contains(more.body, "What did the search find?") {
		t.Fatalf("follow-up page: %d %s", more.status, more.path)
	}
	if strings.Contains(more.body, `name="/searched"`) {
		t.Error("the follow-up page asks the first question again")
	}
	empty := e.post(b, more.path, url.Values{"csrf": {token}, "action": {"continue"}})
	if empty.status != 422 || !strings.Contains(empty.body, "#f-findings") {
		t.Fatalf("an unanswered follow-up: %d %v", empty.status, errorSummary(empty.body))
	}
	people := e.post(b, more.path, url.Values{"csrf": {token}, "action": {"continue"}, "/findings": {"Two boxes of cigarettes"}})
	if people.path != "/drafts/"+draft+"/pages/people" {
		t.Fatalf("after the follow-up: %d %s", people.status, people.path)
	}

	// A repeating group: the first entry is asked at once; add another
	// and remove one, each saving the page.
	if !strings.Contains(people.body, `name="/occupants/0/fullName"`) || strings.Contains(people.body, `name="/occupants/1/fullName"`) {
		t.Fatal("the people page does not ask for the first person")
	}
	added := e.post(b, people.path, url.Values{"csrf": {token}, "action": {"add /occupants"}, "/occupants/0/fullName": {"Ann Driver"}, "/occupants/0/role": {"driver"}})
	if !strings.Contains(added.body, `name="/occupants/1/fullName"`) || !strings.Contains(added.body, `value="Ann Driver"`) {
		t.Fatalf("add another: %d %s", added.status, added.path)
	}
	removed := e.post(b, people.path, url.Values{"csrf": {token}, "action": {"remove /occupants/1"}, "/occupants/0/fullName": {"Ann Driver"},
		"/occupants/0/role": {"driver"}, "/occupants/1/fullName": {"Bo"}})
	if strings.Contains(removed.body, `name="/occupants/1/fullName"`) {
		t.Fatal("remove left the second person")
	}
	check := e.post(b, people.path, url.Values{"csrf": {token}, "action": {"continue"}, "/occupants/0/fullName": {"Ann Driver"},
		"/occupants/0/role": {"driver"}, "/notes": {"Calm & cooperative"}})
	if check.path != "/drafts/"+draft+"/check" {
		t.Fatalf("after the last page: %d %s", check.status, check.path)
	}
	for _, want := range []string{"3 November 2026", "Van", "Goods<br>People", "Two boxes of cigarettes", "Person 1: Full name", "Ann Driver",
		"Calm &amp; cooperative", `&lt;script&gt;`, `href="/drafts/` + draft + `/pages/search?change=1#f-searched"`} {
		if !strings.Contains(check.body, want) {
			t.Errorf("check your answers lacks %s", want)
		}
	}

	// A change link returns to Check your answers.
	changed := e.post(b, "/drafts/"+draft+"/pages/vehicle?change=1", url.Values{"csrf": {token}, "action": {"continue"},
		"/registration": {"AB12 CDE"}, "/checkedOn-day": {"3"}, "/checkedOn-month": {"11"}, "/checkedOn-year": {"2026"},
		"/vehicleType": {"car"}, "/occupantCount": {"2"}})
	if changed.path != "/drafts/"+draft+"/check" || !strings.Contains(changed.body, "Car") {
		t.Fatalf("after a change: %s", changed.path)
	}

	// Submit: the confirmation panel with the case reference; a second
	// submit shows the same result.
	done := e.post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {token}})
	key := caseReference(done.body)
	if done.status != 200 || !strings.HasPrefix(done.path, "/submissions/") || key == "" || !strings.Contains(done.body, "govuk-panel--confirmation") {
		t.Fatalf("confirmation: %d %s\n%s", done.status, done.path, done.body)
	}
	again := e.post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {token}})
	if again.path != done.path {
		t.Errorf("a second submit went to %s, not the first result %s", again.path, done.path)
	}
	var kase struct{ Submissions []any }
	e.must(200, "GET", "/api/v1/cases/"+key, e.token("officer"), nil, &kase)
	if len(kase.Submissions) != 1 {
		t.Errorf("the case has %d submissions after a double submit", len(kase.Submissions))
	}
	casePage := e.get(b, "/cases/"+key)
	if casePage.status != 200 || !strings.Contains(casePage.body, "Submitted Vehicle check") || !strings.Contains(casePage.body, "Workflow border-force/vehicle-check started") {
		t.Errorf("case page: %d\n%s", casePage.status, casePage.body)
	}
	// People are shown by name, from the user directory.
	if !strings.Contains(casePage.body, "Olu Officer") || strings.Contains(casePage.body, ">dev-officer<") {
		t.Errorf("the timeline does not name the officer:\n%s", casePage.body)
	}
}

func TestPagePostsNeedTheSessionsCSRFToken(t *testing.T) {
	e := newEnv(t)
	e.publishPageFixtures()
	b := e.browser()
	e.signIn(b, "officer").Body.Close()
	page := e.startJourney(b)
	answers := url.Values{"action": {"continue"}, "/registration": {"XY99 ZZZ"}}

	for name, token := range map[string][]string{"no token": nil, "another session's token": {e.otherSessionCSRF()}} {
		form := url.Values{"csrf": token}
		for k, v := range answers {
			form[k] = v
		}
		r := e.post(b, page.path, form)
		if r.status != 403 || !strings.Contains(r.body, "The page was out of date") {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	var saved struct{ Data map[string]any }
	e.must(200, "GET", "/api/v1/drafts/"+draftOf(page.path), e.token("officer"), nil, &saved)
	if len(saved.Data) != 0 {
		t.Errorf("a refused post saved answers: %v", saved.Data)
	}
}

// otherSessionCSRF signs another browser in and takes its token.
func (e *env) otherSessionCSRF() string {
	other := e.browser()
	e.signIn(other, "officer").Body.Close()
	return csrf(e.t.(*testing.T), e.get(other, "/").body)
}

func TestPagesRefuseTamperedAnswersAndBadFiles(t *testing.T) {
	e, b, page, token, draft := officerJourney(t)
	tampered := e.post(b, page.path, vehicleAnswers(token, url.Values{"/vehicleType": {"spaceship"}, "/notAField": {"sneaky"}}))
	if tampered.status != 422 || !strings.Contains(tampered.body, "Choose type of vehicle from the options given") {
		t.Fatalf("a value the page did not offer: %d %v", tampered.status, errorSummary(tampered.body))
	}
	var saved struct{ Data map[string]any }
	e.must(200, "GET", "/api/v1/drafts/"+draft, e.token("officer"), nil, &saved)
	if _, ok := saved.Data["notAField"]; ok {
		t.Error("a field the page does not have reached the draft")
	}

	people := "/drafts/" + draft + "/pages/people"
	base := url.Values{"csrf": {token}, "action": {"continue"}, "/occupants/0/fullName": {"Ann"}}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	for name, c := range map[string]struct {
		file upload
		want string
	}{
		"wrong type": {upload{"/photo", "photo.pdf", "application/pdf", []byte("%PDF-1.4 hello")}, "The selected file must be a PNG"},
		"too large":  {upload{"/photo", "photo.png", "image/png", append(png, make([]byte, 4096)...)}, "The selected file must be smaller than"},
	} {
		r := e.post(b, people, base, c.file)
		if r.status != 422 || !strings.Contains(r.body, c.want) || !strings.Contains(r.body, "#f-photo") {
			t.Errorf("%s: %d %v", name, r.status, errorSummary(r.body))
		}
	}
	ok := e.post(b, people, base, upload{"/photo", "photo.png", "image/png", png})
	if ok.status != 200 || !strings.HasSuffix(ok.path, "/pages/people") && !strings.HasSuffix(ok.path, "/check") {
		t.Fatalf("a good photo: %d %s %v", ok.status, ok.path, errorSummary(ok.body))
	}
	e.must(200, "GET", "/api/v1/drafts/"+draft, e.token("officer"), nil, &saved)
	if id, _ := saved.Data["photo"].(string); len(id) != 36 {
		t.Errorf("the photo's file id was not saved: %v", saved.Data["photo"])
	}
}

func TestAnExpiredSessionResumesFromTheLastSavedPage(t *testing.T) {
	e, b, page, token, draft := officerJourney(t)
	next := e.post(b, page.path, vehicleAnswers(token, nil))
	if !strings.HasSuffix(next.path, "/pages/search") {
		t.Fatalf("page 1: %s", next.path)
	}
	if _, err := e.pool.Exec(context.Background(), `UPDATE sessions SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	expired := e.post(b, next.path, url.Values{"csrf": {token}, "action": {"continue"}, "/searched": {"false"}})
	if expired.status != 401 || !strings.Contains(expired.body, "Your session has ended") ||
		!strings.Contains(expired.body, `href="/login?return_to=%2fdrafts%2f`+draft+`"`) {
		t.Fatalf("a post after the session ended: %d\n%s", expired.status, expired.body)
	}
	e.signIn(b, "officer").Body.Close()
	resumed := e.get(b, "/drafts/"+draft)
	if resumed.path != "/drafts/"+draft+"/pages/search" || !strings.Contains(resumed.body, "Was the vehicle searched?") {
		t.Fatalf("resume: %s", resumed.path)
	}
	vehicle := e.get(b, "/drafts/"+draft+"/pages/vehicle")
	if !strings.Contains(vehicle.body, `value="AB12 CDE"`) {
		t.Error("the answers saved before the session ended are gone")
	}
}

func TestTaskPagesClaimCompleteAndGuardTasks(t *testing.T) {
	e := newEnv(t, withWorker)
	e.publishPageFixtures()
	officer := e.browser()
	e.signIn(officer, "officer").Body.Close()
	key := e.submitVehicleCheck(officer)

	sup := e.browser()
	e.signIn(sup, "supervisor").Body.Close()
	list := e.waitForTaskOnPage(sup, "Decide on vehicle AB12 CDE")
	id := regexp.MustCompile(`href="/tasks/([0-9a-f-]{36})"`).FindStringSubmatch(list.body)[1]
	for _, want := range []string{"A supervisor must decide within the hour", "Not claimed", key, "High"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("the task list lacks %s", want)
		}
	}
	token := csrf(t, list.body)
	if r := e.get(sup, "/?form=vehicle-check&status=open"); strings.Contains(r.body, id) || !strings.Contains(r.body, "There are no tasks to show") {
		t.Error("the form filter kept a task of another form")
	}
	if r := e.get(sup, "/?form=vehicle-decision&status=all"); !strings.Contains(r.body, id) || !strings.Contains(r.body, `<option value="all" selected>`) {
		t.Error("the filters lost the task or the chosen status")
	}

	// The officer is not a candidate: the task is not there for them.
	if r := e.get(officer, "/tasks/"+id); r.status != 404 {
		t.Errorf("another team's task: %d", r.status)
	}
	if r := e.post(officer, "/tasks/"+id+"/claim", url.Values{"csrf": {csrf(t, e.get(officer, "/").body)}}); r.status != 404 {
		t.Errorf("claiming another team's task: %d", r.status)
	}
	// Not claimed yet: completing is refused and nothing changes.
	if r := e.post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"true"}}); r.status != 403 || !strings.Contains(r.body, "Claim the task before completing it") {
		t.Errorf("completing an unclaimed task: %d %s", r.status, r.body)
	}
	claimed := e.post(sup, "/tasks/"+id+"/claim", url.Values{"csrf": {token}})
	if claimed.status != 200 || !strings.Contains(claimed.body, "You have claimed this task") || !strings.Contains(claimed.body, `name="/release"`) {
		t.Fatalf("claim: %d %s", claimed.status, claimed.path)
	}
	invalid := e.post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"false"}})
	if invalid.status != 422 || !strings.Contains(invalid.body, "#f-reason") {
		t.Fatalf("a refusal without a reason: %d %v", invalid.status, errorSummary(invalid.body))
	}
	if !strings.Contains(invalid.body, "<title>Error: Decide on vehicle AB12 CDE – COP</title>") {
		t.Error(`the task page with errors does not start its title "Error: "`)
	}
	done := e.post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"false"}, "/reason": {"<b>Forged</b> papers"}})
	if done.status != 200 || !strings.HasPrefix(done.path, "/cases/"+key) {
		t.Fatalf("complete: %d %s", done.status, done.path)
	}
	if !strings.Contains(done.body, "You have completed the task.") {
		t.Error("the case page does not confirm the task was completed")
	}
	if again := e.post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"true"}}); again.path != "/tasks/"+id {
		t.Errorf("a second complete: %d %s", again.status, again.path)
	}
	// A supervisor reassigns a second check's task: not to the officer,
	// who is outside its candidate groups, but to the admin, who then
	// holds it.
	admin := e.browser()
	e.signIn(admin, "admin").Body.Close()
	second := e.submitVehicleCheck(officer)
	list = e.waitForTaskOnPage(sup, second)
	other := regexp.MustCompile(`href="/tasks/([0-9a-f-]{36})"`).FindStringSubmatch(list.body[strings.Index(list.body, second)-2000:])[1]
	if r := e.post(sup, "/tasks/"+other+"/reassign", url.Values{"csrf": {token}, "to": {""}}); r.status != 422 {
		t.Errorf("reassigning to nobody: %d", r.status)
	}
	if r := e.post(sup, "/tasks/"+other+"/reassign", url.Values{"csrf": {token}, "to": {"dev-officer"}}); r.status != 422 ||
		!strings.Contains(r.body, "Olu Officer (dev-officer) is not in the task&#39;s candidate groups (role:supervisor)") {
		t.Errorf("reassign outside the groups: %d %s", r.status, r.body)
	}
	if r := e.post(sup, "/tasks/"+other+"/reassign", url.Values{"csrf": {token}, "to": {"dev-admin"}}); r.status != 200 || r.path != "/?done=reassign" || !strings.Contains(r.body, "The task has been reassigned") {
		t.Errorf("reassign: %d %s", r.status, r.path)
	}
	if r := e.get(admin, "/tasks/"+other); r.status != 200 || !strings.Contains(r.body, "Claimed by you") || !strings.Contains(r.body, `name="/release"`) {
		t.Errorf("the reassigned task for the admin: %d", r.status)
	}

	// The officer hears the outcome in the banner, escaped.
	deadline := time.Now().Add(20 * time.Second)
	for {
		home := e.get(officer, "/")
		if strings.Contains(home.body, "Vehicle check decided") {
			if !strings.Contains(home.body, "The vehicle is held: &lt;b&gt;Forged&lt;/b&gt; papers") {
				t.Errorf("notification body not escaped:\n%s", home.body)
			}
			nid := regexp.MustCompile(`action="/notifications/([^/]+)/read"`).FindStringSubmatch(home.body)[1]
			read := e.post(officer, "/notifications/"+nid+"/read", url.Values{"csrf": {csrf(t, home.body)}, "return": {"/start"}})
			if read.path != "/start" || strings.Contains(read.body, "Vehicle check decided") {
				t.Errorf("mark as read: %s", read.path)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the officer was never notified")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// submitVehicleCheck fills in and submits the vehicle check, returning the case key.
func (e *env) submitVehicleCheck(b *http.Client) string {
	e.t.Helper()
	page := e.startJourney(b)
	token := csrf(e.t.(*testing.T), page.body)
	draft := draftOf(page.path)
	steps := []struct {
		page string
		form url.Values
	}{
		{"vehicle", vehicleAnswers(token, nil)},
		{"search", url.Values{"/searched": {"false"}, "js": {"1"}}},
		{"people", url.Values{"/occupants/0/fullName": {"Ann Driver"}}},
	}
	for _, s := range steps {
		s.form.Set("csrf", token)
		s.form.Set("action", "continue")
		if r := e.post(b, "/drafts/"+draft+"/pages/"+s.page, s.form); r.status != 200 {
			e.t.Fatalf("page %s: %d %v", s.page, r.status, errorSummary(r.body))
		}
	}
	done := e.post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {token}})
	key := caseReference(done.body)
	if key == "" {
		e.t.Fatalf("submit: %d %s", done.status, done.path)
	}
	return key
}

// waitForTaskOnPage reloads the task list until a task with the title shows.
func (e *env) waitForTaskOnPage(b *http.Client, title string) pageResult {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.get(b, "/")
		if strings.Contains(r.body, html.EscapeString(title)) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no task %q on the list:\n%s", title, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestPagesKeepAnswersOutOfURLsAndLogs(t *testing.T) {
	var log testenv.SyncBuffer
	e := newEnv(t, withLog(&log))
	e.publishPageFixtures()
	b := e.browser()
	e.signIn(b, "officer").Body.Close()
	var visited []string
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return nil
	}
	key := e.submitVehicleCheck(b)
	e.get(b, "/cases/"+key)
	if !strings.Contains(log.String(), "/cases/"+key) {
		t.Fatal("the test log did not capture the requests")
	}
	for _, answer := range []string{"AB12", "Ann Driver", "Ann+Driver", "Ann%20Driver"} {
		if strings.Contains(log.String(), answer) {
			t.Errorf("the log holds the answer %q", answer)
		}
		for _, u := range visited {
			if strings.Contains(u, answer) {
				t.Errorf("the URL %s holds the answer %q", u, answer)
			}
		}
	}
}

func TestPagesRefuseTamperedHiddenFields(t *testing.T) {
	e := newEnv(t)
	e.publishPageFixtures()
	b := e.browser()
	e.signIn(b, "officer").Body.Close()
	home := e.get(b, "/")
	token := csrf(t, home.body)
	for _, want := range []string{`data-session-ends="`, `id="session-warning" hidden`, "Your session ends at"} {
		if !strings.Contains(home.body, want) {
			t.Errorf("the page lacks the session warning's %s", want)
		}
	}

	// A case the officer may not see, slipped into the start form.
	if r := e.post(b, "/forms/vehicle-check/start", url.Values{"csrf": {token}, "case": {"SEIZ-20260101-1"}}); r.status != 404 {
		t.Errorf("a draft in someone else's case: %d", r.status)
	}
	// An action naming something that is not a repeating group changes nothing.
	page := e.startJourney(b)
	r := e.post(b, page.path, url.Values{"csrf": {token}, "action": {"remove /registration"}, "/registration": {"AB12 CDE"}})
	if r.status != 200 || !strings.Contains(r.body, `value="AB12 CDE"`) {
		t.Errorf("a tampered action: %d", r.status)
	}
	// Save and come back later: saved without checks, listed to resume.
	saved := e.post(b, page.path, url.Values{"csrf": {token}, "action": {"save"}, "/registration": {"AB12 CDE"}, "/occupantCount": {"many"}})
	if saved.path != "/drafts/"+draftOf(page.path)+"/saved" || !strings.Contains(saved.body, "Your answers have been saved") {
		t.Fatalf("save and come back later: %d %s", saved.status, saved.path)
	}
	if start := e.get(b, "/start"); !strings.Contains(start.body, `href="/drafts/`+draftOf(page.path)+`"`) {
		t.Error("the saved form is not offered on Start something new")
	}
}

// caseReference is the case reference in the confirmation panel.
func caseReference(body string) string {
	m := regexp.MustCompile(`Your case reference<br><strong>(VEH-\d{8}-\d+)</strong>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestTaskListPagesThroughTheQueue(t *testing.T) {
	e := newEnv(t, withWorker)
	e.publishPageFixtures()
	author := e.token("author")
	if resp, body := e.publishYAML(author, `document:
  dsl: '1.0.3'
  namespace: tests
  name: many-decisions
  version: '1.0.0'
do:
  - decide:
      call: userTask
      with:
        form: vehicle-decision
        title: '${ "Decision " + (.n | tostring) }'
        candidateGroups: [ role:supervisor ]
        priority: '${ if .n == 1 then 1 else 3 end }'
`); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	sup := e.token("supervisor")
	for n := 1; n <= pages.TasksPerPage+1; n++ {
		e.must(201, "POST", "/api/v1/workflows/tests/many-decisions/instances", sup, map[string]any{"input": map[string]any{"n": n}}, nil)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct{ Items []any }
		e.must(200, "GET", "/api/v1/tasks?limit=100", sup, nil, &list)
		if len(list.Items) == pages.TasksPerPage+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks, want %d", len(list.Items), pages.TasksPerPage+1)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// One task's due time has passed (set in the database, as the clock
	// would): it is flagged.
	if _, err := e.pool.Exec(context.Background(), `UPDATE tasks SET due = now() - interval '1 hour' WHERE title = 'Decision 2'`); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	e.signIn(b, "supervisor").Body.Close()
	first := e.get(b, "/")
	if strings.Count(first.body, ">Overdue</strong>") != 1 {
		t.Errorf("overdue tags: %d, want 1", strings.Count(first.body, ">Overdue</strong>"))
	}
	cards := strings.Count(first.body, `class="govuk-summary-card__title"`)
	if cards != pages.TasksPerPage || !strings.Contains(first.body, "Next page") || strings.Contains(first.body, "First page") {
		t.Fatalf("first page: %d tasks", cards)
	}
	if i, j := strings.Index(first.body, "Decision 1\n"), strings.Index(first.body, "Urgent"); i < 0 || j < 0 || i > strings.Index(first.body, "Decision 2\n") {
		t.Error("the urgent task is not first")
	}
	next := regexp.MustCompile(`href="(/\?[^"]*cursor=[^"]+)"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	second := e.get(b, html.UnescapeString(next[1]))
	if n := strings.Count(second.body, `class="govuk-summary-card__title"`); n != 1 || !strings.Contains(second.body, "First page") || strings.Contains(second.body, "Next page") {
		t.Errorf("second page: %d tasks", n)
	}
	if r := e.get(b, "/?cursor=not-a-cursor"); r.status != 400 {
		t.Errorf("a tampered cursor: %d", r.status)
	}
}

// TestExamplePackFormsWorkAsPages walks every page of every example form
// (forms no page test was written for) as an officer who answers nothing:
// each page draws, and each error in the summary links to a control that
// is on the page.
func TestExamplePackFormsWorkAsPages(t *testing.T) {
	e := newEnv(t)
	author := e.token("author")
	var names []string
	for _, f := range examples.All() {
		if resp, body := e.do(nil, "POST", "/api/v1/"+f.Kind, author, bytes.NewReader(f.Content), "Content-Type", "application/json"); resp.StatusCode != 201 {
			t.Fatalf("publish %s: %d %s", f.Name, resp.StatusCode, body)
		}
		if f.Kind == "forms" {
			names = append(names, strings.TrimSuffix(f.Name, ".json"))
		}
	}
	users := map[string]string{"seizure-approval": "supervisor"}
	for _, name := range names {
		user := users[name]
		if user == "" {
			user = "officer"
		}
		b := e.browser()
		e.signIn(b, user).Body.Close()
		start := e.get(b, "/forms/"+name)
		if start.status != 200 {
			t.Errorf("%s: start page %d", name, start.status)
			continue
		}
		token := csrf(t, start.body)
		page := e.post(b, "/forms/"+name+"/start", url.Values{"csrf": {token}})
		for steps := 0; steps < 10 && strings.Contains(page.path, "/pages/"); steps++ {
			if page.status != 200 {
				t.Fatalf("%s: %s answered %d", name, page.path, page.status)
			}
			empty := e.post(b, page.path, url.Values{"csrf": {token}, "action": {"continue"}})
			if empty.status == 422 {
				links := errorSummary(empty.body)
				if len(links) == 0 {
					t.Errorf("%s %s: 422 without an error summary", name, page.path)
				}
				for _, l := range links {
					target := l[strings.LastIndex(l, "#")+1:]
					if !strings.Contains(empty.body, `id="`+target+`"`) {
						t.Errorf("%s %s: the error %q links to no control on the page", name, page.path, l)
					}
				}
				t.Logf("%s %s: %d errors", name, page.path, len(links))
			}
			// Move on: the next page is reachable from the draft once saved.
			next := e.post(b, "/drafts/"+draftOf(page.path)+"/pages/"+strings.Split(page.path, "/pages/")[1], url.Values{"csrf": {token}, "action": {"save"}})
			if next.status != 200 {
				t.Fatalf("%s: save %d", name, next.status)
			}
			page = e.nextPageOf(b, name, draftOf(page.path), strings.Split(page.path, "/pages/")[1])
		}
	}
}

// nextPageOf opens the page after the one named, from the form's ui pages.
func (e *env) nextPageOf(b *http.Client, form, draft, current string) pageResult {
	e.t.Helper()
	var def struct {
		UI struct{ Pages []struct{ ID string } }
	}
	e.must(200, "GET", "/api/v1/forms/"+form, e.token("author"), nil, &def)
	for i, p := range def.UI.Pages {
		if p.ID == current && i+1 < len(def.UI.Pages) {
			return e.get(b, "/drafts/"+draft+"/pages/"+def.UI.Pages[i+1].ID)
		}
	}
	return e.get(b, "/drafts/"+draft+"/check")
}

// TestFollowUpQuestionsAPageCannotRevealInPlace: a select's follow-up, one
// question two options reveal, and a list revealed in place, with
// JavaScript: the first two are asked on the next page, once each, and
// keep their answers when the page is answered again.
func TestFollowUpQuestionsAPageCannotRevealInPlace(t *testing.T) {
	e := newEnv(t)
	e.publishPageFixtures()
	b := e.browser()
	e.signIn(b, "officer").Body.Close()
	start := e.get(b, "/forms/cargo-check")
	token := csrf(t, start.body)
	page := e.post(b, "/forms/cargo-check/start", url.Values{"csrf": {token}})
	if strings.Count(page.body, `name="/hazard"`) != 0 {
		t.Error("a question two options reveal is drawn in place")
	}
	answers := url.Values{"csrf": {token}, "js": {"1"}, "action": {"continue"}, "/transport": {"sea"}, "/containerType": {"tank"},
		"/hasSeals": {"true"}, "/seals/0/number": {"S-1"}, "/weight": {"12.5"}}
	more := e.post(b, page.path, answers)
	if !strings.HasSuffix(more.path, "/pages/main/more?js=1") || strings.Contains(more.body, `name="/seals/0/number"`) || strings.Count(more.body, `name="/hazard"`) != 1 || strings.Count(more.body, `name="/vesselName"`) != 1 {
		t.Fatalf("the follow-up page: %d %s %q", more.status, more.path, errorSummary(more.body))
	}
	check := e.post(b, more.path, url.Values{"csrf": {token}, "js": {"1"}, "action": {"continue"}, "/vesselName": {"Sea Breeze"}, "/hazard": {"UN1203"}})
	if !strings.HasSuffix(check.path, "/check") || strings.Count(check.body, "UN1203") != 1 {
		t.Fatalf("check answers: %d %s %q", check.status, check.path, errorSummary(check.body))
	}

	// Back on the first page the select's follow-up is drawn after it;
	// another seal can be added inside the revealed list; a number must
	// be a number; and answering again keeps the follow-up page's answers.
	again := e.get(b, page.path)
	if !strings.Contains(again.body, `value="Sea Breeze"`) {
		t.Error("the chosen option's follow-up is not drawn after the select")
	}
	answers.Set("/vesselName", "Sea Breeze")
	answers.Set("action", "add /seals")
	added := e.post(b, page.path, answers)
	if !strings.Contains(added.body, `name="/seals/1/number"`) || !strings.Contains(added.body, `value="S-1"`) {
		t.Fatalf("add another inside a revealed list: %d", added.status)
	}
	answers.Set("action", "continue")
	answers.Set("/seals/1/number", "S-2")
	answers.Set("/weight", "nan")
	bad := e.post(b, page.path, answers)
	if got := errorSummary(bad.body); bad.status != 422 || len(got) != 1 || got[0] != "Weight in kilograms must be a number #f-weight" {
		t.Fatalf("NaN as a number: %d %q", bad.status, got)
	}
	answers.Set("/weight", "1,250.5")
	done := e.post(b, page.path, answers)
	if !strings.HasSuffix(done.path, "/check") || !strings.Contains(done.body, "UN1203") || !strings.Contains(done.body, "S-2") || !strings.Contains(done.body, "1250.5") {
		t.Errorf("answering again: %s %q", done.path, errorSummary(done.body))
	}
}

// The start page offers the forms the caller's roles may submit, with
// their titles and descriptions, and not the others.
func TestStartPageOffersWhatYouMayStart(t *testing.T) {
	e := newEnv(t)
	author := e.token("author")
	e.must(201, "POST", "/api/v1/forms", author, `{"name": "supervisor-review", "version": "1.0.0", "title": "Supervisor review",
		"description": "For supervisors only", "access": {"start": ["role:supervisor"]},
		"schema": {"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK"}}}}`, nil)
	e.must(201, "POST", "/api/v1/forms", author, `{"name": "open-note", "version": "1.0.0", "title": "Open note", "description": "Anyone may",
		"schema": {"type": "object", "properties": {"note": {"type": "string", "title": "Note"}}}}`, nil)
	for _, tc := range []struct {
		who        string
		supervisor bool
	}{{"officer", false}, {"supervisor", true}} {
		b := e.browser()
		e.signIn(b, tc.who).Body.Close()
		body := e.get(b, "/start").body
		if !strings.Contains(body, `href="/forms/open-note"`) || !strings.Contains(body, "Anyone may") {
			t.Errorf("%s is not offered the open note", tc.who)
		}
		if got := strings.Contains(body, `href="/forms/supervisor-review"`) && strings.Contains(body, "For supervisors only"); got != tc.supervisor {
			t.Errorf("%s offered the supervisor review: %v", tc.who, got)
		}
	}
}
