package devstack

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	goidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// The development provider's sign-in page looks like the service (GOV.UK
// styles, served by the provider itself), masks the password, and says
// what is wrong without signing anyone in; the right password signs in.
func TestTheDevelopmentSignInPage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const callback = "http://localhost:1/auth/callback"
	p, err := StartOIDC(OIDCOptions{Listener: ln, RedirectURIs: []string{callback}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	ctx := goidc.ClientContext(context.Background(), client)
	provider, err := goidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &oauth2.Config{ClientID: DevClientID, ClientSecret: DevClientSecret, Endpoint: provider.Endpoint(), RedirectURL: callback, Scopes: []string{oidc.ScopeOpenID}}
	resp, err := client.Get(cfg.AuthCodeURL("state-1"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != 200 || id == "" || !strings.Contains(string(page), `name="password" type="password"`) ||
		!strings.Contains(string(page), `class="govuk-template"`) {
		t.Fatalf("sign-in page: %d %s", resp.StatusCode, page)
	}
	if css, err := client.Get(p.Issuer + "/assets/govuk-frontend.min.css"); err != nil || css.StatusCode != 200 {
		t.Fatalf("stylesheet: %v %v", css, err)
	}
	post := func(password string) *http.Response {
		t.Helper()
		r, err := client.PostForm(p.Issuer+"/login/username", url.Values{"id": {id}, "username": {"officer"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wrong := post("guess")
	body, _ := io.ReadAll(wrong.Body)
	wrong.Body.Close()
	if wrong.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "There is a problem") || strings.Contains(string(body), "guess") {
		t.Fatalf("wrong password: %d %s", wrong.StatusCode, body)
	}
	right := post(DevPassword)
	right.Body.Close()
	if loc := right.Header.Get("Location"); right.StatusCode != http.StatusFound || !strings.HasPrefix(loc, callback) || !strings.Contains(loc, "code=") {
		t.Fatalf("right password: %d %q", right.StatusCode, loc)
	}
}
