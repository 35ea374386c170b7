package pages_test

import (
	"bytes"
	"context"
	"html"
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
	"cop/platform/web/webtest"
)

// The officer pages, driven over HTTP as a browser without JavaScript
// would: every form post with the page's own CSRF token. The browser
// journeys (browser_test.go) drive the same pages in Chromium.

// publishPageFixtures uploads the forms and workflow the page tests use;
// no example pack or other test uses them.
func publishPageFixtures(e *webtest.Env) {
	e.T.Helper()
	author := e.Token("author")
	for _, name := range []string{"vehicle-check.json", "vehicle-decision.json", "cargo-check.json"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			e.T.Fatal(err)
		}
		if resp, body := e.Do(nil, "POST", "/api/v1/forms", author, bytes.NewReader(raw), "Content-Type", "application/json"); resp.StatusCode != 201 {
			e.T.Fatalf("publish %s: %d %s", name, resp.StatusCode, body)
		}
	}
	raw, err := os.ReadFile("testdata/vehicle-check.yaml")
	if err != nil {
		e.T.Fatal(err)
	}
	if resp, body := e.PublishYAML(author, string(raw)); resp.StatusCode != 201 {
		e.T.Fatalf("publish workflow: %d %s", resp.StatusCode, body)
	}
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
func startJourney(e *webtest.Env, b *http.Client) webtest.PageResult {
	e.T.Helper()
	start := e.Get(b, "/forms/vehicle-check")
	if start.Status != 200 || !strings.Contains(start.Body, "Start now") {
		e.T.Fatalf("start page: %d %s", start.Status, start.Body)
	}
	first := e.Post(b, "/forms/vehicle-check/start", url.Values{"csrf": {webtest.CSRF(e.T.(*testing.T), start.Body)}})
	if first.Status != 200 || !strings.HasSuffix(first.Path, "/pages/vehicle") {
		e.T.Fatalf("first page: %d %s", first.Status, first.Path)
	}
	return first
}

func draftOf(path string) string {
	return strings.Split(strings.TrimPrefix(path, "/drafts/"), "/")[0]
}

// officerJourney signs an officer in on a server with the page fixtures
// and opens the vehicle check: the browser, the first page, the page's
// CSRF token and the draft's id.
func officerJourney(t *testing.T, opts ...func(*webtest.Option)) (*webtest.Env, *http.Client, webtest.PageResult, string, string) {
	t.Helper()
	e := webtest.New(t, opts...)
	publishPageFixtures(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	page := startJourney(e, b)
	return e, b, page, webtest.CSRF(t, page.Body), draftOf(page.Path)
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
	e := webtest.New(t, webtest.WithWorker)
	publishPageFixtures(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()

	startList := e.Get(b, "/start")
	if !strings.Contains(startList.Body, `href="/forms/vehicle-check"`) || !strings.Contains(startList.Body, "Review a vehicle check") {
		t.Fatalf("the start page does not offer the vehicle check:\n%s", startList.Body)
	}
	page := startJourney(e, b)
	draft := draftOf(page.Path)
	token := webtest.CSRF(t, page.Body)
	for _, want := range []string{`name="/registration"`, `name="/checkedOn-day"`, `<select class="govuk-select" id="f-vehicleType" name="/vehicleType"`,
		`inputmode="decimal"`, "Page 1 of 3"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the first page lacks %s", want)
		}
	}

	// Mistakes come back as GOV.UK's error summary and inline messages,
	// and what was typed is kept (and saved).
	bad := e.Post(b, page.Path, url.Values{"csrf": {token}, "js": {""}, "action": {"continue"},
		"/registration": {`<script>alert("x")</script> AB12 CDE`}, "/checkedOn-day": {"31"}, "/checkedOn-month": {"2"}, "/checkedOn-year": {"2026"},
		"/vehicleType": {"van"}, "/occupantCount": {"two"}})
	if bad.Status != 422 {
		t.Fatalf("a page with errors answered %d", bad.Status)
	}
	wantErrs := []string{"Date of the check must be a real date #f-checkedOn-day", "Number of people in the vehicle must be a number #f-occupantCount"}
	if got := errorSummary(bad.Body); strings.Join(got, "|") != strings.Join(wantErrs, "|") {
		t.Errorf("error summary %q, want %q", got, wantErrs)
	}
	for _, want := range []string{`<title>Error: The vehicle – Vehicle check – COP</title>`, `<p id="f-occupantCount-error" class="govuk-error-message">`,
		`value="two"`, `value="31"`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; AB12 CDE`} {
		if !strings.Contains(bad.Body, want) {
			t.Errorf("the page with errors lacks %s", want)
		}
	}
	if strings.Contains(bad.Body, `<script>alert`) {
		t.Error("an answer's HTML reached the page unescaped")
	}

	// Fixed: on to the next page, and the draft remembers where; one press
	// of Continue saves the draft once, with one audit row.
	saves := func() int {
		n := 0
		for _, r := range e.AuditRows() {
			if r.Action == "draft.save" && r.Resource == "draft:"+draft {
				n++
			}
		}
		return n
	}
	before := saves()
	next := e.Post(b, page.Path, url.Values{"csrf": {token}, "action": {"continue"},
		"/registration": {`<script>alert("x")</script> AB12 CDE`}, "/checkedOn-day": {"3"}, "/checkedOn-month": {"11"}, "/checkedOn-year": {"2026"},
		"/vehicleType": {"van"}, "/occupantCount": {"2"}})
	if next.Status != 200 || next.Path != "/drafts/"+draft+"/pages/search" {
		t.Fatalf("after the first page: %d %s", next.Status, next.Path)
	}
	if n := saves() - before; n != 1 {
		t.Errorf("one press of Continue saved the draft %d times", n)
	}
	var saved struct {
		Data map[string]any
		Page string
	}
	e.Must(200, "GET", "/api/v1/drafts/"+draft, e.Token("officer"), nil, &saved)
	if saved.Page != "search" || saved.Data["checkedOn"] != "2026-11-03" || saved.Data["occupantCount"] != 2.0 || saved.Data["vehicleType"] != "van" {
		t.Errorf("draft after page 1: %+v", saved)
	}

	// Without JavaScript the follow-up question comes on a page of its own.
	more := e.Post(b, next.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/searched": {"true"}, "/concerns": {"goods", "people"}})
	if more.Status != 200 || more.Path != "/drafts/"+draft+"/pages/search/more" || !strings.Contains(more.Body, "What did the search find?") {
		t.Fatalf("follow-up page: %d %s", more.Status, more.Path)
	}
	if strings.Contains(more.Body, `name="/searched"`) {
		t.Error("the follow-up page asks the first question again")
	}
	empty := e.Post(b, more.Path, url.Values{"csrf": {token}, "action": {"continue"}})
	if empty.Status != 422 || !strings.Contains(empty.Body, "#f-findings") {
		t.Fatalf("an unanswered follow-up: %d %v", empty.Status, errorSummary(empty.Body))
	}
	people := e.Post(b, more.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/findings": {"Two boxes of cigarettes"}})
	if people.Path != "/drafts/"+draft+"/pages/people" {
		t.Fatalf("after the follow-up: %d %s", people.Status, people.Path)
	}

	// A repeating group: the first entry is asked at once; add another
	// and remove one, each saving the page.
	if !strings.Contains(people.Body, `name="/occupants/0/fullName"`) || strings.Contains(people.Body, `name="/occupants/1/fullName"`) {
		t.Fatal("the people page does not ask for the first person")
	}
	added := e.Post(b, people.Path, url.Values{"csrf": {token}, "action": {"add /occupants"}, "/occupants/0/fullName": {"Ann Driver"}, "/occupants/0/role": {"driver"}})
	if !strings.Contains(added.Body, `name="/occupants/1/fullName"`) || !strings.Contains(added.Body, `value="Ann Driver"`) {
		t.Fatalf("add another: %d %s", added.Status, added.Path)
	}
	removed := e.Post(b, people.Path, url.Values{"csrf": {token}, "action": {"remove /occupants/1"}, "/occupants/0/fullName": {"Ann Driver"},
		"/occupants/0/role": {"driver"}, "/occupants/1/fullName": {"Bo"}})
	if strings.Contains(removed.Body, `name="/occupants/1/fullName"`) {
		t.Fatal("remove left the second person")
	}
	check := e.Post(b, people.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/occupants/0/fullName": {"Ann Driver"},
		"/occupants/0/role": {"driver"}, "/notes": {"Calm & cooperative"}})
	if check.Path != "/drafts/"+draft+"/check" {
		t.Fatalf("after the last page: %d %s", check.Status, check.Path)
	}
	for _, want := range []string{"3 November 2026", "Van", "Goods<br>People", "Two boxes of cigarettes", "Person 1: Full name", "Ann Driver",
		"Calm &amp; cooperative", `&lt;script&gt;`, `href="/drafts/` + draft + `/pages/search?change=1#f-searched"`} {
		if !strings.Contains(check.Body, want) {
			t.Errorf("check your answers lacks %s", want)
		}
	}

	// A change link returns to Check your answers.
	changed := e.Post(b, "/drafts/"+draft+"/pages/vehicle?change=1", url.Values{"csrf": {token}, "action": {"continue"},
		"/registration": {"AB12 CDE"}, "/checkedOn-day": {"3"}, "/checkedOn-month": {"11"}, "/checkedOn-year": {"2026"},
		"/vehicleType": {"car"}, "/occupantCount": {"2"}})
	if changed.Path != "/drafts/"+draft+"/check" || !strings.Contains(changed.Body, "Car") {
		t.Fatalf("after a change: %s", changed.Path)
	}

	// Submit: the confirmation panel with the case reference; a second
	// submit shows the same result.
	done := e.Post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {token}})
	key := caseReference(done.Body)
	if done.Status != 200 || !strings.HasPrefix(done.Path, "/submissions/") || key == "" || !strings.Contains(done.Body, "govuk-panel--confirmation") {
		t.Fatalf("confirmation: %d %s\n%s", done.Status, done.Path, done.Body)
	}
	// It shows the answers just sent, and the form's own "What happens next".
	for _, want := range []string{"Your answers", "Ann Driver", "Calm &amp; cooperative",
		"<p class=\"govuk-body\">A supervisor decides within the hour whether the vehicle can be released.</p>",
		"<p class=\"govuk-body\">You will be told in COP when they have.</p>"} {
		if !strings.Contains(done.Body, want) {
			t.Errorf("the confirmation lacks %s:\n%s", want, done.Body)
		}
	}
	again := e.Post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {token}})
	if again.Path != done.Path {
		t.Errorf("a second submit went to %s, not the first result %s", again.Path, done.Path)
	}
	var kase struct{ Submissions []any }
	e.Must(200, "GET", "/api/v1/cases/"+key, e.Token("officer"), nil, &kase)
	if len(kase.Submissions) != 1 {
		t.Errorf("the case has %d submissions after a double submit", len(kase.Submissions))
	}
	casePage := e.Get(b, "/cases/"+key)
	if casePage.Status != 200 || !strings.Contains(casePage.Body, "Submitted Vehicle check") || !strings.Contains(casePage.Body, "Workflow Review a vehicle check started") {
		t.Errorf("case page: %d\n%s", casePage.Status, casePage.Body)
	}
	// The case page shows the answers as Check your answers did: labels,
	// option titles, follow-up answers, each person in a card of their own.
	squeezed := strings.Join(strings.Fields(casePage.Body), " ")
	for _, want := range []string{"Submitted by Olu Officer", "Registration number", "Type of vehicle </dt> <dd class=\"govuk-summary-list__value\"> Car </dd>",
		"Goods<br>People", "Two boxes of cigarettes", `govuk-summary-card__title"> Person 1 </h5>`, "Ann Driver", "Role </dt> <dd class=\"govuk-summary-list__value\"> Driver </dd>",
		"Calm &amp; cooperative"} {
		if !strings.Contains(squeezed, want) {
			t.Errorf("the case page lacks %s:\n%s", want, casePage.Body)
		}
	}
	// The case offers the forms the officer may start on it, and only those.
	if !strings.Contains(casePage.Body, `href="/forms/vehicle-check?case=`+key+`"`) || strings.Contains(casePage.Body, `href="/forms/vehicle-decision?case=`) {
		t.Errorf("the forms offered on the case:\n%s", casePage.Body)
	}
	if r := e.Get(b, "/forms/vehicle-check?case="+key); !strings.Contains(r.Body, "Your answers will be added to case "+key) {
		t.Errorf("a form started from the case does not say it joins it:\n%s", r.Body)
	}
	// People are shown by name, from the user directory.
	if !strings.Contains(casePage.Body, "Olu Officer") || strings.Contains(casePage.Body, ">dev-officer<") {
		t.Errorf("the timeline does not name the officer:\n%s", casePage.Body)
	}
}

func TestPagePostsNeedTheSessionsCSRFToken(t *testing.T) {
	e := webtest.New(t)
	publishPageFixtures(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	page := startJourney(e, b)
	answers := url.Values{"action": {"continue"}, "/registration": {"XY99 ZZZ"}}

	for name, token := range map[string][]string{"no token": nil, "another session's token": {otherSessionCSRF(e)}} {
		form := url.Values{"csrf": token}
		for k, v := range answers {
			form[k] = v
		}
		r := e.Post(b, page.Path, form)
		if r.Status != 403 || !strings.Contains(r.Body, "The page was out of date") {
			t.Errorf("%s: %d", name, r.Status)
		}
	}
	var saved struct{ Data map[string]any }
	e.Must(200, "GET", "/api/v1/drafts/"+draftOf(page.Path), e.Token("officer"), nil, &saved)
	if len(saved.Data) != 0 {
		t.Errorf("a refused post saved answers: %v", saved.Data)
	}
}

// otherSessionCSRF signs another browser in and takes its token.
func otherSessionCSRF(e *webtest.Env) string {
	other := e.Browser()
	e.SignIn(other, "officer").Body.Close()
	return webtest.CSRF(e.T.(*testing.T), e.Get(other, "/").Body)
}

func TestPagesRefuseTamperedAnswersAndBadFiles(t *testing.T) {
	e, b, page, token, draft := officerJourney(t)
	tampered := e.Post(b, page.Path, vehicleAnswers(token, url.Values{"/vehicleType": {"spaceship"}, "/notAField": {"sneaky"}}))
	if tampered.Status != 422 || !strings.Contains(tampered.Body, "Choose type of vehicle from the options given") {
		t.Fatalf("a value the page did not offer: %d %v", tampered.Status, errorSummary(tampered.Body))
	}
	var saved struct{ Data map[string]any }
	e.Must(200, "GET", "/api/v1/drafts/"+draft, e.Token("officer"), nil, &saved)
	if _, ok := saved.Data["notAField"]; ok {
		t.Error("a field the page does not have reached the draft")
	}

	people := "/drafts/" + draft + "/pages/people"
	base := url.Values{"csrf": {token}, "action": {"continue"}, "/occupants/0/fullName": {"Ann"}}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	for name, c := range map[string]struct {
		file webtest.FormFile
		want string
	}{
		"wrong type": {webtest.FormFile{Field: "/photo", Name: "photo.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4 hello")}, "The selected file must be a PNG"},
		"too large":  {webtest.FormFile{Field: "/photo", Name: "photo.png", ContentType: "image/png", Content: append(png, make([]byte, 4096)...)}, "The selected file must be smaller than"},
	} {
		r := e.Post(b, people, base, c.file)
		if r.Status != 422 || !strings.Contains(r.Body, c.want) || !strings.Contains(r.Body, "#f-photo") {
			t.Errorf("%s: %d %v", name, r.Status, errorSummary(r.Body))
		}
	}
	ok := e.Post(b, people, base, webtest.FormFile{Field: "/photo", Name: "photo.png", ContentType: "image/png", Content: png})
	if ok.Status != 200 || !strings.HasSuffix(ok.Path, "/pages/people") && !strings.HasSuffix(ok.Path, "/check") {
		t.Fatalf("a good photo: %d %s %v", ok.Status, ok.Path, errorSummary(ok.Body))
	}
	e.Must(200, "GET", "/api/v1/drafts/"+draft, e.Token("officer"), nil, &saved)
	if id, _ := saved.Data["photo"].(string); len(id) != 36 {
		t.Errorf("the photo's file id was not saved: %v", saved.Data["photo"])
	}
}

func TestAnExpiredSessionResumesFromTheLastSavedPage(t *testing.T) {
	e, b, page, token, draft := officerJourney(t)
	next := e.Post(b, page.Path, vehicleAnswers(token, nil))
	if !strings.HasSuffix(next.Path, "/pages/search") {
		t.Fatalf("page 1: %s", next.Path)
	}
	if _, err := e.Pool.Exec(context.Background(), `UPDATE sessions SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	expired := e.Post(b, next.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/searched": {"false"}})
	if expired.Status != 401 || !strings.Contains(expired.Body, "Your session has ended") ||
		!strings.Contains(expired.Body, `href="/login?return_to=%2fdrafts%2f`+draft+`"`) {
		t.Fatalf("a post after the session ended: %d\n%s", expired.Status, expired.Body)
	}
	e.SignIn(b, "officer").Body.Close()
	resumed := e.Get(b, "/drafts/"+draft)
	if resumed.Path != "/drafts/"+draft+"/pages/search" || !strings.Contains(resumed.Body, "Was the vehicle searched?") {
		t.Fatalf("resume: %s", resumed.Path)
	}
	vehicle := e.Get(b, "/drafts/"+draft+"/pages/vehicle")
	if !strings.Contains(vehicle.Body, `value="AB12 CDE"`) {
		t.Error("the answers saved before the session ended are gone")
	}
}

func TestTaskPagesClaimCompleteAndGuardTasks(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	publishPageFixtures(e)
	officer := e.Browser()
	e.SignIn(officer, "officer").Body.Close()
	key := submitVehicleCheck(e, officer)

	sup := e.Browser()
	e.SignIn(sup, "supervisor").Body.Close()
	list := waitForTaskOnPage(e, sup, "Decide on vehicle AB12 CDE")
	id := regexp.MustCompile(`href="/tasks/([0-9a-f-]{36})"`).FindStringSubmatch(list.Body)[1]
	for _, want := range []string{"A supervisor must decide within the hour", "Not claimed", key, "High"} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("the task list lacks %s", want)
		}
	}
	token := webtest.CSRF(t, list.Body)
	if r := e.Get(sup, "/?form=vehicle-check&status=open"); strings.Contains(r.Body, id) || !strings.Contains(r.Body, "There are no tasks to show") {
		t.Error("the form filter kept a task of another form")
	}
	if r := e.Get(sup, "/?form=vehicle-decision&status=all"); !strings.Contains(r.Body, id) || !strings.Contains(r.Body, `<option value="all" selected>`) {
		t.Error("the filters lost the task or the chosen status")
	}

	// The officer finds the case again under Cases; the supervisor of
	// their team sees it there too, and a search narrows the list.
	for who, b := range map[string]*http.Client{"officer": officer, "supervisor": sup} {
		r := e.Get(b, "/cases")
		if r.Status != 200 || !strings.Contains(r.Body, `href="/cases/`+key+`"`) || !strings.Contains(r.Body, "Vehicle check") {
			t.Errorf("%s's Cases page lacks %s:\n%s", who, key, r.Body)
		}
	}
	if r := e.Get(sup, "/cases?mine=true"); strings.Contains(r.Body, `href="/cases/`+key+`"`) || !strings.Contains(r.Body, "No cases match your search.") {
		t.Errorf("the supervisor's own cases include the officer's:\n%s", r.Body)
	}
	if r := e.Get(officer, "/cases?key="+strings.ToLower(key[len(key)-5:])+"&form=vehicle-check"); !strings.Contains(r.Body, `href="/cases/`+key+`"`) {
		t.Errorf("a search by part of the key lost the case:\n%s", r.Body)
	}
	if r := e.Get(officer, "/cases?cursor=nonsense"); r.Status != 400 || !strings.Contains(r.Body, "This list cannot be shown") {
		t.Errorf("a cursor COP did not make: %d", r.Status)
	}
	// The case's timeline links to the open task only for those who may
	// open it: not for the officer, who is not a candidate.
	if r := e.Get(sup, "/cases/"+key); !strings.Contains(r.Body, `href="/tasks/`+id+`"`) {
		t.Error("the supervisor's case page does not link to the open task")
	}
	if r := e.Get(officer, "/cases/"+key); !strings.Contains(r.Body, "Decide on vehicle AB12 CDE created") || strings.Contains(r.Body, "Open task") {
		t.Errorf("the officer's case page links to a task they cannot open:\n%s", r.Body)
	}
	// The officer is not a candidate: the task is not there for them.
	if r := e.Get(officer, "/tasks/"+id); r.Status != 404 {
		t.Errorf("another team's task: %d", r.Status)
	}
	if r := e.Post(officer, "/tasks/"+id+"/claim", url.Values{"csrf": {webtest.CSRF(t, e.Get(officer, "/").Body)}}); r.Status != 404 {
		t.Errorf("claiming another team's task: %d", r.Status)
	}
	// Not claimed yet: completing is refused and nothing changes.
	if r := e.Post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"true"}}); r.Status != 403 || !strings.Contains(r.Body, "Claim the task before completing it") {
		t.Errorf("completing an unclaimed task: %d %s", r.Status, r.Body)
	}
	claimed := e.Post(sup, "/tasks/"+id+"/claim", url.Values{"csrf": {token}})
	if claimed.Status != 200 || !strings.Contains(claimed.Body, "You have claimed this task") || !strings.Contains(claimed.Body, `name="/release"`) {
		t.Fatalf("claim: %d %s", claimed.Status, claimed.Path)
	}
	// The supervisor decides beside what was submitted on the case.
	squeezed := strings.Join(strings.Fields(claimed.Body), " ")
	for _, want := range []string{"What was submitted on the case", "Submitted by Olu Officer", "Registration number </dt> <dd class=\"govuk-summary-list__value\"> AB12 CDE </dd>"} {
		if !strings.Contains(squeezed, want) {
			t.Errorf("the task page lacks %s:\n%s", want, claimed.Body)
		}
	}
	if strings.Index(squeezed, "What was submitted on the case") > strings.Index(squeezed, "Your decision") {
		t.Error("the case's answers come after the decision form")
	}
	invalid := e.Post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"false"}})
	if invalid.Status != 422 || !strings.Contains(invalid.Body, "#f-reason") {
		t.Fatalf("a refusal without a reason: %d %v", invalid.Status, errorSummary(invalid.Body))
	}
	if !strings.Contains(invalid.Body, "<title>Error: Decide on vehicle AB12 CDE – COP</title>") {
		t.Error(`the task page with errors does not start its title "Error: "`)
	}
	done := e.Post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"false"}, "/reason": {"<b>Forged</b> papers"}})
	if done.Status != 200 || !strings.HasPrefix(done.Path, "/cases/"+key) {
		t.Fatalf("complete: %d %s", done.Status, done.Path)
	}
	if !strings.Contains(done.Body, "You have completed the task.") {
		t.Error("the case page does not confirm the task was completed")
	}
	if strings.Contains(done.Body, `href="/tasks/`+id+`"`) {
		t.Error("the case page still links to the task it completed")
	}
	if again := e.Post(sup, "/tasks/"+id+"/complete", url.Values{"csrf": {token}, "/release": {"true"}}); again.Path != "/tasks/"+id {
		t.Errorf("a second complete: %d %s", again.Status, again.Path)
	}
	// A completed task shows its decision with its form's labels, escaped.
	if r := strings.Join(strings.Fields(e.Get(sup, "/tasks/"+id).Body), " "); !strings.Contains(r, "The decision") ||
		!strings.Contains(r, "&lt;b&gt;Forged&lt;/b&gt; papers") || strings.Contains(r, `name="/release"`) {
		t.Errorf("the completed task's page:\n%s", r)
	}
	// A supervisor reassigns a second check's task: not to the officer,
	// who is outside its candidate groups, but to the admin, who then
	// holds it.
	admin := e.Browser()
	e.SignIn(admin, "admin").Body.Close()
	second := submitVehicleCheck(e, officer)
	list = waitForTaskOnPage(e, sup, second)
	other := regexp.MustCompile(`href="/tasks/([0-9a-f-]{36})"`).FindStringSubmatch(list.Body[strings.Index(list.Body, second)-2000:])[1]
	if r := e.Post(sup, "/tasks/"+other+"/reassign", url.Values{"csrf": {token}, "to": {""}}); r.Status != 422 {
		t.Errorf("reassigning to nobody: %d", r.Status)
	}
	if r := e.Post(sup, "/tasks/"+other+"/reassign", url.Values{"csrf": {token}, "to": {"dev-officer"}}); r.Status != 422 ||
		!strings.Contains(r.Body, "Olu Officer (dev-officer) is not in the task&#39;s candidate groups (role:supervisor)") {
		t.Errorf("reassign outside the groups: %d %s", r.Status, r.Body)
	}
	if r := e.Post(sup, "/tasks/"+other+"/reassign", url.Values{"csrf": {token}, "to": {"dev-admin"}}); r.Status != 200 || r.Path != "/?done=reassign" || !strings.Contains(r.Body, "The task has been reassigned") {
		t.Errorf("reassign: %d %s", r.Status, r.Path)
	}
	if r := e.Get(admin, "/tasks/"+other); r.Status != 200 || !strings.Contains(r.Body, "Claimed by you") || !strings.Contains(r.Body, `name="/release"`) {
		t.Errorf("the reassigned task for the admin: %d", r.Status)
	}

	// The officer hears the outcome in the banner, escaped.
	deadline := time.Now().Add(20 * time.Second)
	for {
		home := e.Get(officer, "/")
		if strings.Contains(home.Body, "Vehicle check decided") {
			if !strings.Contains(home.Body, "The vehicle is held: &lt;b&gt;Forged&lt;/b&gt; papers") {
				t.Errorf("notification body not escaped:\n%s", home.Body)
			}
			// The navigation counts it; the banner is not shown in the middle
			// of a form; the notifications page lists it, unread.
			if !strings.Contains(home.Body, "Notifications (1 unread)") {
				t.Error("the navigation does not count the unread notification")
			}
			if r := e.Get(officer, "/forms/vehicle-check"); strings.Contains(r.Body, "Vehicle check decided") {
				t.Error("the banner interrupts a form")
			}
			list := strings.Join(strings.Fields(e.Get(officer, "/notifications").Body), " ")
			if !strings.Contains(list, "Vehicle check decided") || !strings.Contains(list, ">Unread</strong>") || !strings.Contains(list, "Go to the case") {
				t.Errorf("the notifications page:\n%s", list)
			}
			nid := regexp.MustCompile(`action="/notifications/([^/]+)/read"`).FindStringSubmatch(home.Body)[1]
			read := e.Post(officer, "/notifications/"+nid+"/read", url.Values{"csrf": {webtest.CSRF(t, home.Body)}, "return": {"/notifications"}})
			squeezed := strings.Join(strings.Fields(read.Body), " ")
			if read.Path != "/notifications" || !strings.Contains(squeezed, ">Read</strong>") || strings.Contains(squeezed, "unread)") {
				t.Errorf("mark as read: %s\n%s", read.Path, squeezed)
			}
			if r := e.Get(officer, "/"); strings.Contains(r.Body, "Vehicle check decided") {
				t.Error("a notification read is still in the banner")
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
func submitVehicleCheck(e *webtest.Env, b *http.Client) string {
	e.T.Helper()
	page := startJourney(e, b)
	token := webtest.CSRF(e.T.(*testing.T), page.Body)
	draft := draftOf(page.Path)
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
		if r := e.Post(b, "/drafts/"+draft+"/pages/"+s.page, s.form); r.Status != 200 {
			e.T.Fatalf("page %s: %d %v", s.page, r.Status, errorSummary(r.Body))
		}
	}
	done := e.Post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {token}})
	key := caseReference(done.Body)
	if key == "" {
		e.T.Fatalf("submit: %d %s", done.Status, done.Path)
	}
	return key
}

// waitForTaskOnPage reloads the task list until a task with the title shows.
func waitForTaskOnPage(e *webtest.Env, b *http.Client, title string) webtest.PageResult {
	e.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.Get(b, "/")
		if strings.Contains(r.Body, html.EscapeString(title)) {
			return r
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("no task %q on the list:\n%s", title, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestPagesKeepAnswersOutOfURLsAndLogs(t *testing.T) {
	var log testenv.SyncBuffer
	e := webtest.New(t, webtest.WithLog(&log))
	publishPageFixtures(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	var visited []string
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return nil
	}
	key := submitVehicleCheck(e, b)
	e.Get(b, "/cases/"+key)
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
	e := webtest.New(t)
	publishPageFixtures(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	home := e.Get(b, "/")
	token := webtest.CSRF(t, home.Body)
	for _, want := range []string{`data-session-ends="`, `id="session-warning" hidden`, "Your session ends at"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("the page lacks the session warning's %s", want)
		}
	}

	// A case the officer may not see, slipped into the start form.
	if r := e.Post(b, "/forms/vehicle-check/start", url.Values{"csrf": {token}, "case": {"SEIZ-20260101-1"}}); r.Status != 404 {
		t.Errorf("a draft in someone else's case: %d", r.Status)
	}
	// An action naming something that is not a repeating group changes nothing.
	page := startJourney(e, b)
	r := e.Post(b, page.Path, url.Values{"csrf": {token}, "action": {"remove /registration"}, "/registration": {"AB12 CDE"}})
	if r.Status != 200 || !strings.Contains(r.Body, `value="AB12 CDE"`) {
		t.Errorf("a tampered action: %d", r.Status)
	}
	// Save and come back later: saved without checks, listed to resume.
	saved := e.Post(b, page.Path, url.Values{"csrf": {token}, "action": {"save"}, "/registration": {"AB12 CDE"}, "/occupantCount": {"many"}})
	if saved.Path != "/drafts/"+draftOf(page.Path)+"/saved" || !strings.Contains(saved.Body, "Your answers have been saved") {
		t.Fatalf("save and come back later: %d %s", saved.Status, saved.Path)
	}
	if start := e.Get(b, "/start"); !strings.Contains(start.Body, `href="/drafts/`+draftOf(page.Path)+`"`) {
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
	e := webtest.New(t, webtest.WithWorker)
	publishPageFixtures(e)
	author := e.Token("author")
	if resp, body := e.PublishYAML(author, `document:
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
	sup := e.Token("supervisor")
	for n := 1; n <= pages.TasksPerPage+1; n++ {
		e.Must(201, "POST", "/api/v1/workflows/tests/many-decisions/instances", sup, map[string]any{"input": map[string]any{"n": n}}, nil)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct{ Items []any }
		e.Must(200, "GET", "/api/v1/tasks?limit=100", sup, nil, &list)
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
	if _, err := e.Pool.Exec(context.Background(), `UPDATE tasks SET due = now() - interval '1 hour' WHERE title = 'Decision 2'`); err != nil {
		t.Fatal(err)
	}
	b := e.Browser()
	e.SignIn(b, "supervisor").Body.Close()
	first := e.Get(b, "/")
	if strings.Count(first.Body, ">Overdue</strong>") != 1 {
		t.Errorf("overdue tags: %d, want 1", strings.Count(first.Body, ">Overdue</strong>"))
	}
	cards := strings.Count(first.Body, `class="govuk-summary-card__title"`)
	if cards != pages.TasksPerPage || !strings.Contains(first.Body, "Next page") || strings.Contains(first.Body, "First page") {
		t.Fatalf("first page: %d tasks", cards)
	}
	if i, j := strings.Index(first.Body, "Decision 1\n"), strings.Index(first.Body, "Urgent"); i < 0 || j < 0 || i > strings.Index(first.Body, "Decision 2\n") {
		t.Error("the urgent task is not first")
	}
	next := regexp.MustCompile(`href="(/\?[^"]*cursor=[^"]+)"`).FindStringSubmatch(first.Body)
	if next == nil {
		t.Fatal("no next page link")
	}
	second := e.Get(b, html.UnescapeString(next[1]))
	if n := strings.Count(second.Body, `class="govuk-summary-card__title"`); n != 1 || !strings.Contains(second.Body, "First page") || strings.Contains(second.Body, "Next page") {
		t.Errorf("second page: %d tasks", n)
	}
	if r := e.Get(b, "/?cursor=not-a-cursor"); r.Status != 400 {
		t.Errorf("a tampered cursor: %d", r.Status)
	}
}

// TestExamplePackFormsWorkAsPages walks every page of every example form
// (forms no page test was written for) as an officer who answers nothing:
// each page draws, and each error in the summary links to a control that
// is on the page.
func TestExamplePackFormsWorkAsPages(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	var names []string
	for _, f := range examples.All() {
		if resp, body := e.Do(nil, "POST", "/api/v1/"+f.Kind, author, bytes.NewReader(f.Content), "Content-Type", "application/json"); resp.StatusCode != 201 {
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
		b := e.Browser()
		e.SignIn(b, user).Body.Close()
		start := e.Get(b, "/forms/"+name)
		if start.Status != 200 {
			t.Errorf("%s: start page %d", name, start.Status)
			continue
		}
		token := webtest.CSRF(t, start.Body)
		page := e.Post(b, "/forms/"+name+"/start", url.Values{"csrf": {token}})
		for steps := 0; steps < 10 && strings.Contains(page.Path, "/pages/"); steps++ {
			if page.Status != 200 {
				t.Fatalf("%s: %s answered %d", name, page.Path, page.Status)
			}
			empty := e.Post(b, page.Path, url.Values{"csrf": {token}, "action": {"continue"}})
			if empty.Status == 422 {
				links := errorSummary(empty.Body)
				if len(links) == 0 {
					t.Errorf("%s %s: 422 without an error summary", name, page.Path)
				}
				for _, l := range links {
					target := l[strings.LastIndex(l, "#")+1:]
					if !strings.Contains(empty.Body, `id="`+target+`"`) {
						t.Errorf("%s %s: the error %q links to no control on the page", name, page.Path, l)
					}
				}
				t.Logf("%s %s: %d errors", name, page.Path, len(links))
			}
			// Move on: the next page is reachable from the draft once saved.
			next := e.Post(b, "/drafts/"+draftOf(page.Path)+"/pages/"+strings.Split(page.Path, "/pages/")[1], url.Values{"csrf": {token}, "action": {"save"}})
			if next.Status != 200 {
				t.Fatalf("%s: save %d", name, next.Status)
			}
			page = nextPageOf(e, b, name, draftOf(page.Path), strings.Split(page.Path, "/pages/")[1])
		}
	}
}

// nextPageOf opens the page after the one named, from the form's ui pages.
func nextPageOf(e *webtest.Env, b *http.Client, form, draft, current string) webtest.PageResult {
	e.T.Helper()
	var def struct {
		UI struct{ Pages []struct{ ID string } }
	}
	e.Must(200, "GET", "/api/v1/forms/"+form, e.Token("author"), nil, &def)
	for i, p := range def.UI.Pages {
		if p.ID == current && i+1 < len(def.UI.Pages) {
			return e.Get(b, "/drafts/"+draft+"/pages/"+def.UI.Pages[i+1].ID)
		}
	}
	return e.Get(b, "/drafts/"+draft+"/check")
}

// TestFollowUpQuestionsAPageCannotRevealInPlace: a select's follow-up, one
// question two options reveal, and a list revealed in place, with
// JavaScript: the first two are asked on the next page, once each, and
// keep their answers when the page is answered again.
func TestFollowUpQuestionsAPageCannotRevealInPlace(t *testing.T) {
	e := webtest.New(t)
	publishPageFixtures(e)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	start := e.Get(b, "/forms/cargo-check")
	token := webtest.CSRF(t, start.Body)
	page := e.Post(b, "/forms/cargo-check/start", url.Values{"csrf": {token}})
	if strings.Count(page.Body, `name="/hazard"`) != 0 {
		t.Error("a question two options reveal is drawn in place")
	}
	answers := url.Values{"csrf": {token}, "js": {"1"}, "action": {"continue"}, "/transport": {"sea"}, "/containerType": {"tank"},
		"/hasSeals": {"true"}, "/seals/0/number": {"S-1"}, "/weight": {"12.5"}}
	more := e.Post(b, page.Path, answers)
	if !strings.HasSuffix(more.Path, "/pages/main/more?js=1") || strings.Contains(more.Body, `name="/seals/0/number"`) || strings.Count(more.Body, `name="/hazard"`) != 1 || strings.Count(more.Body, `name="/vesselName"`) != 1 {
		t.Fatalf("the follow-up page: %d %s %q", more.Status, more.Path, errorSummary(more.Body))
	}
	check := e.Post(b, more.Path, url.Values{"csrf": {token}, "js": {"1"}, "action": {"continue"}, "/vesselName": {"Sea Breeze"}, "/hazard": {"UN1203"}})
	if !strings.HasSuffix(check.Path, "/check") || strings.Count(check.Body, "UN1203") != 1 {
		t.Fatalf("check answers: %d %s %q", check.Status, check.Path, errorSummary(check.Body))
	}

	// Back on the first page the select's follow-up is drawn after it;
	// another seal can be added inside the revealed list; a number must
	// be a number; and answering again keeps the follow-up page's answers.
	again := e.Get(b, page.Path)
	if !strings.Contains(again.Body, `value="Sea Breeze"`) {
		t.Error("the chosen option's follow-up is not drawn after the select")
	}
	answers.Set("/vesselName", "Sea Breeze")
	answers.Set("action", "add /seals")
	added := e.Post(b, page.Path, answers)
	if !strings.Contains(added.Body, `name="/seals/1/number"`) || !strings.Contains(added.Body, `value="S-1"`) {
		t.Fatalf("add another inside a revealed list: %d", added.Status)
	}
	answers.Set("action", "continue")
	answers.Set("/seals/1/number", "S-2")
	answers.Set("/weight", "nan")
	bad := e.Post(b, page.Path, answers)
	if got := errorSummary(bad.Body); bad.Status != 422 || len(got) != 1 || got[0] != "Weight in kilograms must be a number #f-weight" {
		t.Fatalf("NaN as a number: %d %q", bad.Status, got)
	}
	answers.Set("/weight", "1,250.5")
	done := e.Post(b, page.Path, answers)
	if !strings.HasSuffix(done.Path, "/check") || !strings.Contains(done.Body, "UN1203") || !strings.Contains(done.Body, "S-2") || !strings.Contains(done.Body, "1250.5") {
		t.Errorf("answering again: %s %q", done.Path, errorSummary(done.Body))
	}
}

// The start page offers the forms the caller's roles may submit, with
// their titles and descriptions, and not the others.
func TestStartPageOffersWhatYouMayStart(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "supervisor-review", "version": "1.0.0", "title": "Supervisor review",
		"description": "For supervisors only", "access": {"start": ["role:supervisor"]},
		"schema": {"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK"}}}}`, nil)
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "open-note", "version": "1.0.0", "title": "Open note", "description": "Anyone may",
		"schema": {"type": "object", "properties": {"note": {"type": "string", "title": "Note"}}}}`, nil)
	for _, tc := range []struct {
		who        string
		supervisor bool
	}{{"officer", false}, {"supervisor", true}} {
		b := e.Browser()
		e.SignIn(b, tc.who).Body.Close()
		body := e.Get(b, "/start").Body
		if !strings.Contains(body, `href="/forms/open-note"`) || !strings.Contains(body, "Anyone may") {
			t.Errorf("%s is not offered the open note", tc.who)
		}
		if got := strings.Contains(body, `href="/forms/supervisor-review"`) && strings.Contains(body, "For supervisors only"); got != tc.supervisor {
			t.Errorf("%s offered the supervisor review: %v", tc.who, got)
		}
	}
}

// Start something new offers what an officer starts on their own: not a
// form filled in only inside tasks (which cannot be started from its page
// either), and a workflow once, beside the form that starts it. A form
// with no ui at all goes from start to confirmation.
func TestStartSomethingNewOffersWhatCanBeStarted(t *testing.T) {
	e := webtest.New(t)
	publishPageFixtures(e)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "note", "version": "1.0.0", "title": "Note",
		"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "title": "What to note"}}}}`, nil)
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "task-note", "version": "1.0.0", "title": "Task note",
		"schema": {"type": "object", "properties": {"text": {"type": "string"}}}, "ui": {"startable": false}}`, nil)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()

	start := e.Get(b, "/start")
	if !strings.Contains(start.Body, `href="/forms/note"`) || strings.Contains(start.Body, `href="/forms/task-note"`) {
		t.Errorf("the start page offers the wrong forms:\n%s", start.Body)
	}
	if n := strings.Count(start.Body, "Review a vehicle check"); n != 1 || !strings.Contains(start.Body, "Submitting it starts Review a vehicle check.") {
		t.Errorf("the vehicle check's workflow is named %d times, or not beside its form:\n%s", n, start.Body)
	}
	if r := e.Get(b, "/forms/task-note"); r.Status != 403 || !strings.Contains(r.Body, "is filled in inside a task") {
		t.Errorf("a task-only form's start page: %d\n%s", r.Status, r.Body)
	}

	// A saved form is told from others by its first answers, and can be
	// deleted; another officer cannot delete it.
	saved := e.Post(b, "/forms/note/start", url.Values{"csrf": {webtest.CSRF(t, start.Body)}})
	e.Post(b, saved.Path, url.Values{"csrf": {webtest.CSRF(t, saved.Body)}, "action": {"save"}, "/text": {"Tyre slashed"}})
	start = e.Get(b, "/start")
	if !strings.Contains(start.Body, "What to note: Tyre slashed") {
		t.Errorf("the saved form does not show its answers:\n%s", start.Body)
	}
	other := e.Browser()
	e.SignIn(other, "officer-dover").Body.Close()
	if r := e.Post(other, "/drafts/"+draftOf(saved.Path)+"/delete", url.Values{"csrf": {webtest.CSRF(t, e.Get(other, "/start").Body)}}); r.Status != 404 {
		t.Errorf("another officer deleting the draft: %d", r.Status)
	}
	deleted := e.Post(b, "/drafts/"+draftOf(saved.Path)+"/delete", url.Values{"csrf": {webtest.CSRF(t, start.Body)}})
	if deleted.Path != "/start?done=deleted" || !strings.Contains(deleted.Body, "The saved form was deleted.") || strings.Contains(deleted.Body, "Tyre slashed") {
		t.Errorf("delete: %s\n%s", deleted.Path, deleted.Body)
	}

	page := e.Post(b, "/forms/note/start", url.Values{"csrf": {webtest.CSRF(t, start.Body)}})
	token := webtest.CSRF(t, page.Body)
	// Its one question is the page's heading, and the title is not doubled.
	squeezed := strings.Join(strings.Fields(page.Body), " ")
	if !strings.Contains(squeezed, `<h1 class="govuk-label-wrapper"><label class="govuk-label govuk-label--l" for="f-text">`) ||
		strings.Contains(squeezed, `<h1 class="govuk-heading-l">`) || !strings.Contains(page.Body, "<title>Note – COP</title>") {
		t.Errorf("a one-question page:\n%s", page.Body)
	}
	check := e.Post(b, page.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/text": {"Seal broken"}})
	if !strings.HasSuffix(check.Path, "/check") {
		t.Fatalf("after the only page: %d %s", check.Status, check.Path)
	}
	done := e.Post(b, "/drafts/"+draftOf(check.Path)+"/submit", url.Values{"csrf": {token}})
	if done.Status != 200 || !strings.Contains(done.Body, "Your answers are stored in the case.") || !strings.Contains(done.Body, "Seal broken") {
		t.Errorf("the confirmation of a form without ui: %d\n%s", done.Status, done.Body)
	}
}

// A userTask's show decides what its page shows beside the form: here
// only the start form's answer at /where, not the rest of the submission.
func TestATasksShowPicksTheAnswersBesideTheForm(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	publishPageFixtures(e)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "sighting", "version": "1.0.0", "title": "Sighting",
		"access": {"read": ["role:supervisor"]},
		"schema": {"type": "object", "required": ["where", "secret"], "properties": {
			"where": {"type": "string", "title": "Where it was seen"}, "secret": {"type": "string", "title": "Informant"}}}}`, nil)
	if resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: border-force, name: sighting-review, version: '1.0.0',
  metadata: {startForm: sighting}}
do:
  - review:
      call: userTask
      with: {form: vehicle-decision, title: Review a sighting, candidateGroups: [role:supervisor], show: [/where]}
`); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	e.Must(201, "POST", "/api/v1/forms/sighting/submissions", e.Token("officer"), map[string]any{"where": "Dover east dock", "secret": "Agent Blue"}, nil)
	sup := e.Browser()
	e.SignIn(sup, "supervisor").Body.Close()
	list := waitForTaskOnPage(e, sup, "Review a sighting")
	id := regexp.MustCompile(`href="/tasks/([0-9a-f-]{36})"`).FindStringSubmatch(list.Body)[1]
	page := e.Get(sup, "/tasks/"+id).Body
	start := strings.Index(page, "What was submitted on the case")
	if start < 0 {
		t.Fatalf("the task page shows no submission:\n%s", page)
	}
	section := page[start:]
	section = section[:strings.Index(section, "View the case")]
	if !strings.Contains(section, "Where it was seen") || !strings.Contains(section, "Dover east dock") || strings.Contains(section, "Informant") {
		t.Errorf("the submission beside the form is not just /where:\n%s", section)
	}
}
