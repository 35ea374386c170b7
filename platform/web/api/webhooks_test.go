package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"cop/platform/web/webtest"
)

// outcomeWorkflow emits typ and grants read to readers; officers start it.
func outcomeWorkflow(name, prefix, typ, readers string) string {
	return `document: {dsl: '1.0.0', namespace: kit, name: ` + name + `, version: '1.0.0',
  metadata: {casePrefix: ` + prefix + `, access: {start: [role:officer, role:integrator], read: [` + readers + `]}}}
do:
  - decide: {emit: {event: {with: {source: https://border.example, type: ` + typ + `, data: {outcome: approved}}}}}
`
}

// webhookBody is a subscription as the API answers it.
type webhookBody struct {
	ID, URL, Secret, Owner, DisabledReason string
	Types                                  []string
	Enabled                                bool
	PreviousSecretUntil                    *time.Time
}

type deliveryBody struct {
	ID, EventID, EventType, Subject, Status string
	Attempts                                []struct {
		Status    int
		LatencyMs int64
		Response  string
		Outcome   string
	}
	NextAttemptAt *time.Time
}

func TestWebhookScenarios(t *testing.T) {
	e := webtest.New(t)
	if resp, body := e.PublishYAML(e.Token("author"), outcomeWorkflow("outcome", "OUT", "gov.uk.test.decided", "team:analytics")); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var mine, admins webhookBody
	e.Must(201, "POST", "/api/v1/webhooks", e.Token("integrator"), map[string]any{"url": "http://127.0.0.1:9/cop-events",
		"types": []string{"gov.uk.test.decided", "cop.task.*"}, "description": "Seizure outcomes"}, &mine)
	if !strings.HasPrefix(mine.Secret, "whsec_") || mine.Owner != "dev-integrator" || !mine.Enabled {
		t.Fatalf("created %+v", mine)
	}
	e.Must(201, "POST", "/api/v1/webhooks", e.Token("admin"), map[string]any{"url": "https://hooks.example.org/cop", "types": []string{"*"}}, &admins)
	hook := "/api/v1/webhooks/" + mine.ID
	e.Scenarios(t, []webtest.Scenario{
		{Name: "its owner reads it, without its secret", As: "integrator", Method: "GET", Path: hook, Status: 200,
			Want: []string{`"description":"Seizure outcomes"`, `"types":["gov.uk.test.decided","cop.task.*"]`}},
		{Name: "its owner lists their own", As: "integrator", Method: "GET", Path: "/api/v1/webhooks", Status: 200, Want: []string{mine.ID}},
		{Name: "an admin lists everyone's", As: "admin", Method: "GET", Path: "/api/v1/webhooks", Status: 200, Want: []string{mine.ID, admins.ID}},
		{Name: "another's is not found", As: "integrator", Method: "GET", Path: "/api/v1/webhooks/" + admins.ID, Status: 404},
		{Name: "an officer may not subscribe", As: "officer", Method: "POST", Path: "/api/v1/webhooks", Body: map[string]any{"url": "https://hooks.example.org/x", "types": []string{"*"}}, Status: 403},
		{Name: "nobody signed in", Method: "GET", Path: "/api/v1/webhooks", Status: 401},
		{Name: "a URL is required and types too", As: "integrator", Method: "POST", Path: "/api/v1/webhooks", Body: map[string]any{}, Status: 422,
			Pointers: []string{"/url", "/types"}, Want: []string{"url is required", "types is required"}},
		{Name: "a private address the allow-list does not name", As: "integrator", Method: "POST", Path: "/api/v1/webhooks",
			Body: map[string]any{"url": "http://169.254.169.254/latest", "types": []string{"*"}}, Status: 422, Pointers: []string{"/url"},
			Want: []string{"169.254.169.254 is not a public address"}},
		{Name: "not a URL", As: "integrator", Method: "POST", Path: "/api/v1/webhooks",
			Body: map[string]any{"url": "hooks.example.org/x", "types": []string{"*"}}, Status: 422, Pointers: []string{"/url"}},
		{Name: "unknown types and bad patterns, each at its index", As: "integrator", Method: "POST", Path: "/api/v1/webhooks",
			Body: map[string]any{"url": "https://hooks.example.org/x", "types": []string{"cop.instance.completed", "cop.instanse.completed",
				"cop.nothing.*", "gov.uk.test.unknown", "bad*type", "cop.instance.completed", "gov.uk.test.*"}}, Status: 422,
			Pointers: []string{"/types/1", "/types/2", "/types/3", "/types/4", "/types/5"},
			Want: []string{`\"cop.instanse.completed\" is not one of COP's event types`, `\"cop.nothing.*\" matches none of COP's event types`,
				`no workflow emits \"gov.uk.test.unknown\"`, `listed twice`}},
		{Name: "an unknown field", As: "integrator", Method: "POST", Path: "/api/v1/webhooks",
			Body: map[string]any{"url": "https://hooks.example.org/x", "types": []string{"*"}, "secret": "whsec_mine"}, Status: 400, Pointers: []string{"/secret"}},
		{Name: "a change is checked at its field", As: "integrator", Method: "PATCH", Path: hook,
			Body: map[string]any{"types": []string{"cop.nope"}}, Status: 422, Pointers: []string{"/types/0"}},
		{Name: "a change of nothing", As: "integrator", Method: "PATCH", Path: hook, Body: map[string]any{}, Status: 422, Pointers: []string{""}},
		{Name: "a null is not a change", As: "integrator", Method: "PATCH", Path: hook, Body: `{"enabled": null, "types": null}`, Status: 422,
			Pointers: []string{"/types", "/enabled"}},
		{Name: "a description changes alone", As: "integrator", Method: "PATCH", Path: hook,
			Body: map[string]any{"description": "Outcomes for analytics"}, Status: 200, Want: []string{`"description":"Outcomes for analytics"`, `"url":"http://127.0.0.1:9/cop-events"`}},
		{Name: "a grace period beyond a week", As: "integrator", Method: "POST", Path: hook + "/rotate-secret",
			Body: map[string]any{"graceSeconds": 8 * 24 * 3600}, Status: 422, Pointers: []string{"/graceSeconds"}},
		{Name: "deliveries of a status that does not exist", As: "integrator", Method: "GET", Path: hook + "/deliveries?status=lost", Status: 400},
		{Name: "a delivery that does not exist", As: "integrator", Method: "POST", Path: hook + "/deliveries/4b1c0f0e-0000-4000-8000-000000000000/replay", Status: 404},
		{Name: "another's deliveries", As: "integrator", Method: "GET", Path: "/api/v1/webhooks/" + admins.ID + "/deliveries", Status: 404},
	})

	// An admin's list, a page at a time, newest first.
	var page struct {
		Items []webhookBody
		Next  string
	}
	e.Must(200, "GET", "/api/v1/webhooks?limit=1", e.Token("admin"), nil, &page)
	if len(page.Items) != 1 || page.Items[0].ID != admins.ID || page.Next == "" {
		t.Fatalf("first page %+v", page)
	}
	next := page.Next
	page.Items, page.Next = nil, "" // a last page has no next
	e.Must(200, "GET", "/api/v1/webhooks?limit=1&cursor="+url.QueryEscape(next), e.Token("admin"), nil, &page)
	if len(page.Items) != 1 || page.Items[0].ID != mine.ID || page.Next != "" {
		t.Fatalf("second page %+v", page)
	}
	e.Must(400, "GET", "/api/v1/webhooks?cursor=forged", e.Token("admin"), nil, nil)

	var rotated webhookBody
	e.Must(200, "POST", hook+"/rotate-secret", e.Token("integrator"), map[string]any{"graceSeconds": 60}, &rotated)
	if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == mine.Secret || rotated.PreviousSecretUntil == nil ||
		time.Until(*rotated.PreviousSecretUntil) > time.Minute || time.Until(*rotated.PreviousSecretUntil) < 50*time.Second {
		t.Fatalf("rotated %+v", rotated)
	}
	e.Must(204, "DELETE", hook, e.Token("integrator"), nil, nil)
	e.Must(404, "GET", hook, e.Token("integrator"), nil, nil)
	var actions []string
	for _, r := range e.AuditRows() {
		if strings.HasPrefix(r.Action, "webhook.") {
			actions = append(actions, r.Action)
		}
	}
	if want := []string{"webhook.create", "webhook.create", "webhook.update", "webhook.rotate-secret", "webhook.delete"}; !slices.Equal(actions, want) {
		t.Errorf("audited %v, want %v", actions, want)
	}
}

// Twenty-five subscriptions each, however many are asked for at once.
func TestWebhookSubscriptionsAreBounded(t *testing.T) {
	e := webtest.New(t)
	tok := e.Token("integrator")
	var reqs []*http.Request
	for range 30 {
		reqs = append(reqs, e.Request("POST", "/api/v1/webhooks", tok, map[string]any{"url": "https://hooks.example.org/x", "types": []string{"*"}}))
	}
	created := 0
	for _, r := range e.Race(reqs...) {
		switch r.Status {
		case 201:
			created++
		case 409:
			if !strings.Contains(r.Body, "the most one caller may have") {
				t.Errorf("refusal %s", r.Body)
			}
		default:
			t.Errorf("%d %s", r.Status, r.Body)
		}
	}
	if created != 25 {
		t.Errorf("%d created, want 25", created)
	}
}

// The outcome half of the loop: an officer's workflow ends, and its events
// reach the integrator's receiver signed, verified by an implementation
// that is not COP's, after the receiver's own failures, each retry with
// the same webhook-id; what the integrator may not read, and draft runs,
// reach nobody.
func TestWebhooksDeliverSignedOutcomes(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	rcv := webtest.StartReceiver(t)
	for _, y := range []string{outcomeWorkflow("outcome", "OUT", "gov.uk.test.decided", "team:analytics"),
		outcomeWorkflow("private", "PRIV", "gov.uk.test.private", "role:supervisor")} {
		if resp, body := e.PublishYAML(e.Token("author"), y); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	integrator := e.Token("integrator")
	var hook webhookBody
	e.Must(201, "POST", "/api/v1/webhooks", integrator, map[string]any{"url": rcv.URL,
		"types": []string{"gov.uk.test.*", "cop.instance.completed"}}, &hook)
	rcv.Expect([]string{hook.Secret}, 2, 500, "")

	officer := e.Token("officer")
	var out, priv, draft webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/kit/outcome/instances", officer, map[string]any{"input": map[string]any{}}, &out)
	e.Must(201, "POST", "/api/v1/workflows/kit/private/instances", officer, map[string]any{"input": map[string]any{}}, &priv)
	e.Must(201, "POST", "/api/v1/instances", e.Token("author"), map[string]any{"definition": outcomeWorkflow("outcome", "OUT", "gov.uk.test.decided", "team:analytics")}, &draft)
	for _, id := range []string{out.ID, priv.ID} {
		e.WaitInstance(officer, id, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	}
	got := rcv.WaitFor("both of the outcome's events delivered", func(rs []webtest.Received) bool {
		n := 0
		for _, r := range rs {
			if r.Answered == 204 {
				n++
			}
		}
		return n == 2
	})
	byID := map[string][]int{}
	for _, r := range got {
		if !slices.Equal(r.VerifiedBy, []int{0}) || r.Signatures != 1 || r.ContentType != "application/cloudevents+json" {
			t.Errorf("a request the independent implementation did not verify: %+v", r)
		}
		if r.Subject != out.BusinessKey {
			t.Errorf("the integrator received an event about %s, which they may not read (or a draft run): %+v", r.Subject, r)
		}
		byID[r.ID] = append(byID[r.ID], r.Answered)
	}
	if len(got) != 4 || got[0].Answered != 500 || got[1].Answered != 500 {
		t.Fatalf("received %+v, want two failures then two deliveries", got)
	}
	for id, answers := range byID {
		if answers[len(answers)-1] != 204 {
			t.Errorf("webhook-id %s: answers %v; every retry carries its event's id until it is delivered", id, answers)
		}
	}

	// The receiver answers before COP records the answer: wait for both
	// records.
	waitFor(t, "both deliveries recorded as delivered", func() bool {
		var n int
		_ = e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'`).Scan(&n)
		return n == 2
	})
	// The two events about the instance the integrator may not read are
	// withheld, and the deliveries list does not show them.
	waitFor(t, "the private instance's deliveries withheld", func() bool {
		var n int
		_ = e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM webhook_deliveries WHERE status = 'withheld'`).Scan(&n)
		return n == 2
	})
	var list struct{ Items []deliveryBody }
	e.Must(200, "GET", "/api/v1/webhooks/"+hook.ID+"/deliveries", integrator, nil, &list)
	attempts := 0
	for _, d := range list.Items {
		if d.Status != "delivered" || d.Subject != out.BusinessKey || d.NextAttemptAt != nil {
			t.Errorf("delivery %+v", d)
		}
		attempts += len(d.Attempts)
		if last := d.Attempts[len(d.Attempts)-1]; last.Status != 204 || last.Outcome != "delivered" {
			t.Errorf("last attempt %+v", last)
		}
	}
	if len(list.Items) != 2 || attempts != 4 {
		t.Fatalf("deliveries %+v, want 2 with 4 attempts between them", list.Items)
	}

	// While a rotated secret's grace lasts, each request carries two
	// signatures, either of which verifies it alone.
	var rotated webhookBody
	e.Must(200, "POST", "/api/v1/webhooks/"+hook.ID+"/rotate-secret", integrator, nil, &rotated)
	rcv.Expect([]string{hook.Secret, rotated.Secret}, 0, 0, "")
	var again webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/kit/outcome/instances", officer, map[string]any{"input": map[string]any{}}, &again)
	got = rcv.WaitFor("the next outcome delivered", func(rs []webtest.Received) bool { return len(rs) == 6 })
	for _, r := range got[4:] {
		if r.Signatures != 2 || !slices.Equal(r.VerifiedBy, []int{0, 1}) || r.Answered != 204 {
			t.Errorf("during the grace period: %+v", r)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A receiver that keeps failing leaves its delivery dead after the
// schedule, replayable with the same webhook-id; one that answers 429
// with Retry-After is not tried again before it; one that answers 410 has
// its subscription disabled until its owner enables it.
func TestWebhookRetriesEndDeadAndReplay(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	rcv := webtest.StartReceiver(t)
	if resp, body := e.PublishYAML(e.Token("author"), outcomeWorkflow("outcome", "OUT", "gov.uk.test.decided", "team:analytics")); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	integrator, officer := e.Token("integrator"), e.Token("officer")
	var hook webhookBody
	e.Must(201, "POST", "/api/v1/webhooks", integrator, map[string]any{"url": rcv.URL, "types": []string{"gov.uk.test.decided"}}, &hook)
	deliveries := "/api/v1/webhooks/" + hook.ID + "/deliveries"
	start := func() {
		e.Must(201, "POST", "/api/v1/workflows/kit/outcome/instances", officer, map[string]any{"input": map[string]any{}}, nil)
	}

	// The test schedule retries three times: four attempts, then dead.
	rcv.Expect([]string{hook.Secret}, 100, 503, "")
	start()
	var dead struct{ Items []deliveryBody }
	waitFor(t, "a dead delivery", func() bool {
		e.Must(200, "GET", deliveries+"?status=dead", integrator, nil, &dead)
		return len(dead.Items) == 1
	})
	d := dead.Items[0]
	if len(d.Attempts) != 4 || d.NextAttemptAt != nil || d.Attempts[3].Status != 503 || !strings.Contains(d.Attempts[3].Response, "503") {
		t.Fatalf("dead delivery %+v", d)
	}
	rcv.Expect([]string{hook.Secret}, 0, 0, "")
	var replayed deliveryBody
	e.Must(202, "POST", deliveries+"/"+d.ID+"/replay", integrator, nil, &replayed)
	if replayed.Status != "pending" || replayed.ID != d.ID {
		t.Errorf("replayed %+v", replayed)
	}
	got := rcv.WaitFor("the replay", func(rs []webtest.Received) bool { return len(rs) == 5 })
	for _, r := range got {
		if r.ID != d.EventID {
			t.Errorf("webhook-id %s, want the event's id %s on every attempt and the replay", r.ID, d.EventID)
		}
	}
	if got[4].Answered != 204 {
		t.Errorf("replay answered %d", got[4].Answered)
	}

	// 429 with Retry-After: 2 holds the retry back two seconds, past the
	// schedule's 200 ms.
	rcv.Expect([]string{hook.Secret}, 1, 429, "2")
	start()
	got = rcv.WaitFor("the retry after 429", func(rs []webtest.Received) bool { return len(rs) == 7 })
	if gap := time.Duration(got[6].At-got[5].At) * time.Millisecond; got[5].Answered != 429 || gap < 1900*time.Millisecond {
		t.Errorf("retried %s after a 429 with Retry-After: 2 (%+v)", gap, got[5:])
	}

	// 410 Gone: the subscription is disabled, the delivery dead, and what
	// happens meanwhile is not queued for it.
	rcv.Expect([]string{hook.Secret}, 1, 410, "")
	start()
	var sub webhookBody
	waitFor(t, "the subscription disabled", func() bool {
		e.Must(200, "GET", "/api/v1/webhooks/"+hook.ID, integrator, nil, &sub)
		return !sub.Enabled
	})
	if !strings.Contains(sub.DisabledReason, "410 Gone") {
		t.Errorf("disabled because %q", sub.DisabledReason)
	}
	e.Must(200, "GET", deliveries+"?status=dead", integrator, nil, &dead)
	gone := dead.Items[0]
	resp, body := e.Send("POST", deliveries+"/"+gone.ID+"/replay", integrator, nil)
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "enable it first") {
		t.Errorf("replay while disabled: %+v", p)
	}
	start()
	time.Sleep(time.Second)
	sub = webhookBody{}
	e.Must(200, "PATCH", "/api/v1/webhooks/"+hook.ID, integrator, map[string]any{"enabled": true}, &sub)
	if !sub.Enabled || sub.DisabledReason != "" {
		t.Errorf("enabled %+v", sub)
	}
	e.Must(202, "POST", deliveries+"/"+gone.ID+"/replay", integrator, nil, nil)
	got = rcv.WaitFor("the replay after enabling", func(rs []webtest.Received) bool { return len(rs) == 9 })
	time.Sleep(500 * time.Millisecond)
	if got = rcv.Received(); len(got) != 9 || got[8].ID != gone.EventID || got[8].Answered != 204 {
		t.Errorf("after enabling: %+v; the event raised while disabled must not be sent", got[7:])
	}
}

// The outbox writes a webhook delivery only for an event some enabled
// subscription takes: with none, webhooks cost a submission nothing.
func TestWebhooksTakeOnlySubscribedTypes(t *testing.T) {
	e := webtest.New(t)
	author, integrator := e.Token("author"), e.Token("integrator")
	made := func() int {
		t.Helper()
		var n int
		if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM event_deliveries WHERE subscriber = 'webhooks'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	form := func(version string) {
		e.Must(201, "POST", "/api/v1/forms", author, `{"name": "plain", "version": "`+version+`", "title": "Plain", "schema": {"type": "object"}}`, nil)
	}
	form("1.0.0")
	if n := made(); n != 0 {
		t.Fatalf("%d webhook deliveries with no subscription", n)
	}
	var hook webhookBody
	e.Must(201, "POST", "/api/v1/webhooks", integrator, map[string]any{"url": "http://127.0.0.1:9/x", "types": []string{"cop.definition.*"}}, &hook)
	form("1.1.0")                                                                                     // cop.definition.published: taken
	e.Must(201, "POST", "/api/v1/forms/plain/submissions", e.Token("officer"), map[string]any{}, nil) // not taken
	if n := made(); n != 1 {
		t.Fatalf("%d webhook deliveries, want 1 (the definition's event)", n)
	}
	e.Must(200, "PATCH", "/api/v1/webhooks/"+hook.ID, integrator, map[string]any{"enabled": false}, nil)
	form("1.2.0")
	if n := made(); n != 1 {
		t.Fatalf("%d webhook deliveries after disabling, want still 1", n)
	}
	e.Must(200, "PATCH", "/api/v1/webhooks/"+hook.ID, integrator, map[string]any{"enabled": true}, nil)
	form("1.3.0")
	e.Must(204, "DELETE", "/api/v1/webhooks/"+hook.ID, integrator, nil, nil)
	form("1.4.0")
	if n := made(); n != 2 {
		t.Fatalf("%d webhook deliveries, want 2 (one while enabled again, none after the delete)", n)
	}
}
