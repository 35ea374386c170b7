package pages_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// TestReturnedForCorrectionOnPages: the officer whose report a supervisor
// returned finds it on the case page, opens the task, corrects the answers
// at Check your answers and sends them; the case page then shows both
// submissions and the supervisor reviews the corrected answers.
func TestReturnedForCorrectionOnPages(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer, supervisor := e.Token("author"), e.Token("officer"), e.Token("supervisor")
	webtest.RegisterArrival(e, author)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ReviewForm, nil)
	if resp, body := e.PublishYAML(author, webtest.ReturnWorkflow); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var sub struct {
		ID, BusinessKey string
		Instances       []string
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	review := e.WaitTask(supervisor, sub.Instances[0])
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/complete", supervisor,
		map[string]any{"data": map[string]any{"outcome": "return", "reason": "The port is wrong: it was Southampton"}}, nil)
	task := e.WaitTask(officer, sub.Instances[0])

	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	// "Your cases" finds it among the open ones.
	list := e.Get(b, "/cases?status=open&mine=true")
	if !strings.Contains(list.Body, `href="/cases/`+sub.BusinessKey+`"`) || !strings.Contains(list.Body, "govuk-tag--blue\">Open") {
		t.Fatalf("the open cases do not list %s as open:\n%s", sub.BusinessKey, list.Body)
	}
	if closed := e.Get(b, "/cases?status=closed"); strings.Contains(closed.Body, sub.BusinessKey) {
		t.Errorf("the closed cases list the open case %s", sub.BusinessKey)
	}
	casePage := e.Get(b, "/cases/"+sub.BusinessKey)
	for _, want := range []string{"Returned for correction", "Your Arrival report was returned to you to correct",
		"The port is wrong: it was Southampton", `href="/tasks/` + task.ID + `">Correct your answers`} {
		if !strings.Contains(casePage.Body, want) {
			t.Fatalf("the case page lacks %q:\n%s", want, casePage.Body)
		}
	}
	taskPage := e.Get(b, "/tasks/"+task.ID)
	for _, want := range []string{"The answers to correct", "Dover", "Correct your answers"} {
		if !strings.Contains(taskPage.Body, want) {
			t.Fatalf("the task page lacks %q:\n%s", want, taskPage.Body)
		}
	}
	if strings.Contains(taskPage.Body, "Claim this task") || strings.Contains(taskPage.Body, "Your decision") {
		t.Errorf("the amend task offers a claim or a decision form:\n%s", taskPage.Body)
	}
	csrf := webtest.CSRF(t, taskPage.Body)
	check := e.Post(b, "/tasks/"+task.ID+"/amend", url.Values{"csrf": {csrf}})
	if check.Status != 200 || !strings.HasSuffix(check.Path, "/check") || !strings.Contains(check.Body, "Check your corrected answers") ||
		!strings.Contains(check.Body, "Send corrected answers") || !strings.Contains(check.Body, "Dover") {
		t.Fatalf("correcting opens %d %s:\n%s", check.Status, check.Path, check.Body)
	}
	draft := draftOf(check.Path)
	if again := e.Post(b, "/tasks/"+task.ID+"/amend", url.Values{"csrf": {csrf}}); draftOf(again.Path) != draft {
		t.Errorf("a second press opened draft %s, not %s", again.Path, draft)
	}
	// Someone else cannot begin the correction.
	other := e.Browser()
	e.SignIn(other, "officer-dover").Body.Close()
	if r := e.Post(other, "/tasks/"+task.ID+"/amend", url.Values{"csrf": {webtest.CSRF(t, e.Get(other, "/").Body)}}); r.Status != 404 {
		t.Errorf("another officer beginning the correction: %d", r.Status)
	}

	// The officer changes the port (the journey's pages are tested
	// elsewhere), then sends the corrected answers from Check your answers.
	corrected := map[string]any{"arrivalDate": "2026-11-20", "port": "GBSOU", "traveller": map[string]any{"fullName": "Ann Example"}, "searched": false}
	e.Must(200, "PUT", "/api/v1/drafts/"+draft, officer, map[string]any{"data": corrected, "page": "check"}, nil)
	check = e.Get(b, "/drafts/"+draft+"/check")
	sent := e.Post(b, "/drafts/"+draft+"/submit", url.Values{"csrf": {webtest.CSRF(t, check.Body)}})
	if sent.Status != 200 || !strings.Contains(sent.Body, "Arrival report corrected") || !strings.Contains(sent.Body, "Southampton") {
		t.Fatalf("sending the corrected answers: %d %s:\n%s", sent.Status, sent.Path, sent.Body)
	}
	casePage = e.Get(b, "/cases/"+sub.BusinessKey)
	if strings.Contains(casePage.Body, "Returned for correction") {
		t.Errorf("the case page still says it waits for a correction")
	}
	corr, orig := strings.Index(casePage.Body, "Arrival report: corrected answers"), strings.Index(casePage.Body, "Replaced")
	if corr < 0 || orig < corr || !strings.Contains(casePage.Body[corr:orig], "Southampton") || !strings.Contains(casePage.Body[orig:], "Dover") {
		t.Fatalf("the case page does not show the correction above the answers it replaces:\n%s", casePage.Body)
	}

	// The supervisor reviews again, seeing the corrected answers.
	sup := e.Browser()
	e.SignIn(sup, "supervisor").Body.Close()
	list = waitForTaskOnPage(e, sup, "Review the arrival report")
	ids := regexp.MustCompile(`href="/tasks/([0-9a-f-]{36})"`).FindAllStringSubmatch(list.Body, -1)
	var second string
	for _, m := range ids {
		if m[1] != review.ID {
			second = m[1]
		}
	}
	page := e.Get(sup, "/tasks/"+second).Body
	if !strings.Contains(page, "Arrival report: corrected answers") || !strings.Contains(page, "Southampton") {
		t.Fatalf("the second review does not show the corrected answers:\n%s", page)
	}
}
