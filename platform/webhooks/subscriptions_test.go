package webhooks

import (
	"strings"
	"testing"
	"time"

	"cop/workflows/engine"
)

// A receiver's URL passes the outbound allow-list, and under cop serve is
// https unless an http:// entry names its host; each refusal says why.
func TestReceiverURLs(t *testing.T) {
	serve := &Service{cfg: Config{RequireHTTPS: true,
		Allow: engine.ParseAllowlist("analytics.example.gov.uk, http://receiver.internal:8080")}}
	// A prefix entry admits any name (which may resolve into it): the
	// dial, after DNS, decides.
	serveNet := &Service{cfg: Config{RequireHTTPS: true, Allow: engine.ParseAllowlist("10.20.0.0/16")}}
	dev := &Service{cfg: Config{Allow: engine.ParseAllowlist("*,127.0.0.0/8,::1")}}
	for _, c := range []struct {
		s    *Service
		url  string
		want string // "" accepted, else part of the refusal
	}{
		{serve, "https://analytics.example.gov.uk/cop-events", ""},
		{serve, "http://analytics.example.gov.uk/cop-events", "must use https; plain http is allowed only to a host the outbound allow-list names as http://analytics.example.gov.uk"},
		{serve, "http://receiver.internal:8080/hook", ""},
		{serve, "http://receiver.internal:9090/hook", "not on the outbound allow-list"},
		{serve, "https://elsewhere.example.com/hook", "elsewhere.example.com is not on the outbound allow-list (COP_WEBHOOK_ALLOWLIST, else COP_CALL_ALLOWLIST)"},
		{serveNet, "https://10.20.1.2/hook", ""},
		{serveNet, "https://10.21.1.2/hook", "10.21.1.2 is not a public address"},
		{serveNet, "http://10.20.1.2/hook", "must use https"},
		{serve, "", "url is required"},
		{serve, "analytics.example.gov.uk/cop-events", "must be an absolute https URL"},
		{serve, "ftp://analytics.example.gov.uk/x", "must be an absolute https URL"},
		{serve, "https://user:pw@analytics.example.gov.uk/x", "must not carry a user name or password"},
		{serve, "https://analytics.example.gov.uk/x#frag", "must not have a fragment"},
		{serve, "https://analytics.example.gov.uk/" + strings.Repeat("a", 2000), "at most 2000"},
		{dev, "http://127.0.0.1:9999/hook", ""},
		{dev, "https://hooks.example.org/x", ""},
		{dev, "https://10.1.2.3/hook", "10.1.2.3 is not a public address, and the outbound allow-list (COP_WEBHOOK_ALLOWLIST, else COP_CALL_ALLOWLIST) does not name it"},
		{dev, "http://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public address"},
	} {
		got := c.s.checkURL(c.url)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%q: %q, want %q", c.url, got, c.want)
		}
	}
}

// A receiver whose name resolves to an address the allow-list does not
// admit is not dialled, and its owner is not told which address that is.
func TestRefusedAddressesAreNotDisclosed(t *testing.T) {
	c := guardedClient(engine.ParseAllowlist("*"))
	a := Send(t.Context(), c, Message{URL: "http://localhost:9/hook", ID: "e1", Body: []byte(`{}`), Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, time.Now())
	if a.Outcome != Retry || a.Status != 0 || a.Error != "the receiver's host resolves to an address the outbound allow-list does not admit" {
		t.Errorf("attempt %+v", a)
	}
}
