package web

import (
	"net/url"
	"testing"
)

// Over https the session cookie takes the __Host- prefix (Path=/, Secure,
// no Domain), which browsers enforce; TestCookiesOverHTTPS sees the rest.
func TestSessionCookiePolicyOverHTTPS(t *testing.T) {
	public, _ := url.Parse("https://cop.example.gov.uk")
	if p := newCookiePolicy(public); p.session != "__Host-cop_session" || !p.secure {
		t.Errorf("session cookie policy %+v", p)
	}
}
