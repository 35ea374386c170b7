package api_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"cop/platform/devstack"
	"cop/platform/mail"
	"cop/platform/testenv"
	"cop/platform/web/webtest"
)

func TestNotificationScenarios(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	var in webtest.InstanceBody
	// Published and started, not a draft run: a draft's notifications reach its author alone.
	if resp, body := e.PublishYAML(e.Token("author"), "document: {dsl: '1.0.0', namespace: kit, name: n, version: '0.1.0'}\ndo:\n  - a: {call: notify, with: {to: [role:supervisor], title: Hello}}\n"); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	e.Must(201, "POST", "/api/v1/workflows/kit/n/instances", e.Token("author"), map[string]any{"input": map[string]any{}}, &in)
	e.WaitInstance(e.Token("author"), in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	var list struct{ Items []struct{ ID string } }
	e.Must(200, "GET", "/api/v1/notifications", e.Token("supervisor"), nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("notifications %+v", list)
	}
	id := list.Items[0].ID
	e.Scenarios(t, []webtest.Scenario{
		{Name: "its reader lists it, unread", As: "supervisor", Method: "GET", Path: "/api/v1/notifications?unread=true", Status: 200,
			Want: []string{`"title":"Hello"`, `"read":false`}},
		{Name: "someone it is not for sees none", As: "officer", Method: "GET", Path: "/api/v1/notifications", Status: 200, Want: []string{`"items":[]`}},
		{Name: "its reader marks it read", As: "supervisor", Method: "POST", Path: "/api/v1/notifications/" + id + "/read", Status: 204},
		{Name: "someone it is not for may not", As: "officer", Method: "POST", Path: "/api/v1/notifications/" + id + "/read", Status: 404},
		{Name: "nobody signed in", Method: "GET", Path: "/api/v1/notifications", Status: 401},
	})
}

// notifyWorkflow sends one notification by email to an officer and to
// supervisors; officers start it.
const notifyWorkflow = `document: {dsl: '1.0.0', namespace: kit, name: mailer, version: '1.0.0', metadata: {casePrefix: MAIL, access: {start: [role:officer]}}}
do:
  - tell:
      call: notify
      with: {to: [user:dev-officer, role:supervisor], title: Seizure approved, body: The goods may be destroyed., link: /tasks, channels: [email]}
`

// notify with channels [email] sends each recipient (a user, each member
// of a role) one email, once, though one recipient's server asked for a
// retry; nothing shows in the task list for a notification sent by email.
func TestNotifyByEmail(t *testing.T) {
	catcher, err := devstack.StartMailCatcher("127.0.0.1:0", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer catcher.Close()
	var refused atomic.Int32
	catcher.Refuse = func(to string) error {
		if strings.HasPrefix(to, "supervisor@") && refused.Add(1) == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}
	sender, err := mail.ParseSMTP("smtp://"+catcher.Addr+"?tls=none", "COP <cop@localhost>")
	if err != nil {
		t.Fatal(err)
	}
	e := webtest.New(t, webtest.WithWorker, webtest.WithMail(sender))
	for _, who := range []string{"officer", "supervisor"} { // the directory knows whom it has seen
		e.Must(200, "GET", "/api/v1/me", e.Token(who), nil, nil)
	}
	if resp, body := e.PublishYAML(e.Token("author"), notifyWorkflow); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	officer := e.Token("officer")
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/kit/mailer/instances", officer, map[string]any{"input": map[string]any{}}, &in)
	e.WaitInstance(officer, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	var got []devstack.CaughtMail
	waitFor(t, "two emails", func() bool {
		got, _ = devstack.CaughtMails(catcher.Dir)
		return len(got) >= 2
	})
	time.Sleep(1500 * time.Millisecond) // a repeat would come with the outbox's next try
	got, _ = devstack.CaughtMails(catcher.Dir)
	var to []string
	for _, m := range got {
		to = append(to, m.To)
		if m.Subject != "Seizure approved" || !strings.Contains(m.Body, "The goods may be destroyed.") ||
			!strings.Contains(m.Body, "Open it in COP: "+e.Base+"/tasks") || !strings.Contains(m.Body, "Case "+in.BusinessKey) {
			t.Errorf("email %+v", m)
		}
	}
	slices.Sort(to)
	if want := []string{`"Olu Officer" <officer@cop.localhost>`, `"Sam Supervisor" <supervisor@cop.localhost>`}; !slices.Equal(to, want) || refused.Load() < 2 {
		t.Errorf("emailed %v (the supervisor refused %d times), want %v once each", to, refused.Load(), want)
	}
	var list struct{ Items []struct{ Title string } }
	e.Must(200, "GET", "/api/v1/notifications", officer, nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("an email-only notification is in the task list: %+v", list.Items)
	}
}

// An email that cannot be sent after its attempts (the server drops every
// connection) is on the notification, in the API and on the page, for its
// recipient to read in COP instead.
func TestEmailThatFailsShowsOnTheNotification(t *testing.T) {
	sender, _ := mail.ParseSMTP("smtp://"+testenv.HangUp(t)+"?tls=none", "COP <cop@localhost>")
	e := webtest.New(t, webtest.WithWorker, webtest.WithMail(sender))
	officer := e.Token("officer")
	e.Must(200, "GET", "/api/v1/me", officer, nil, nil)
	if resp, body := e.PublishYAML(e.Token("author"), strings.Replace(notifyWorkflow, "role:supervisor", "role:nobody", 1)); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/kit/mailer/instances", officer, map[string]any{"input": map[string]any{}}, &in)
	var list struct {
		Items []struct {
			Title, Undelivered string
			Channels           []string
		}
	}
	waitFor(t, "the failure on the notification", func() bool {
		e.Must(200, "GET", "/api/v1/notifications", officer, nil, &list)
		return len(list.Items) == 1
	})
	n := list.Items[0]
	if !strings.Contains(n.Undelivered, "not sent after 2 attempts") || !slices.Equal(n.Channels, []string{"email"}) {
		t.Errorf("notification %+v", n)
	}
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	if page := e.Get(b, "/notifications"); !strings.Contains(page.Body, "We could not send you this by email (not sent after 2 attempts") {
		t.Errorf("the page does not say the email failed: %s", page.Body)
	}
}
