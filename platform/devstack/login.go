package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// SignIn walks a sign-in the way a browser does: it opens startURL (COP's
// /login, or the provider's authorize URL), which lands on the provider's
// login page, submits username and password there, and follows the
// redirects that come back. client should have a cookie jar. The returned
// response is the last one followed (its body is open).
func SignIn(ctx context.Context, client *http.Client, startURL, username, password string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, startURL, nil)
	page, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", startURL, err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	loginURL := page.Request.URL
	id := loginURL.Query().Get("authRequestID")
	if page.StatusCode != http.StatusOK || id == "" {
		return nil, fmt.Errorf("expected the provider's login page, got %s at %s: %.200s", page.Status, loginURL, body)
	}
	form := url.Values{"id": {id}, "username": {username}, "password": {password}}
	post, _ := http.NewRequestWithContext(ctx, http.MethodPost, loginURL.Scheme+"://"+loginURL.Host+"/login/username", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(post)
	if err != nil {
		return nil, fmt.Errorf("submit login form: %w", err)
	}
	return resp, nil
}

// errStop ends redirect-following at COP's callback, so the code can be
// read from the Location header instead of being spent by COP.
var errStop = errors.New("stop at callback")

// Token obtains an access token for a demo user through a real
// authorization code grant with PKCE: authorize, the login page, the
// redirect to redirectURI (not followed), and the code exchange.
func Token(ctx context.Context, issuer, redirectURI, username, password string) (*oauth2.Token, error) {
	return TokenForClient(ctx, DevClientID, issuer, redirectURI, username, password)
}

// TokenForClient is Token for another registered client (its tokens carry
// that client's audience).
func TokenForClient(ctx context.Context, clientID, issuer, redirectURI, username, password string) (*oauth2.Token, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return errStop
		}
		return nil
	}}
	octx := oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(octx, issuer)
	if err != nil {
		return nil, fmt.Errorf("reach the development OpenID provider at %s (is `cop dev` running?): %w", issuer, err)
	}
	cfg := &oauth2.Config{
		ClientID: clientID, ClientSecret: DevClientSecret,
		Endpoint: provider.Endpoint(), RedirectURL: redirectURI,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("cli-"+oauth2.GenerateVerifier()[:16], oauth2.S256ChallengeOption(verifier))
	resp, err := SignIn(ctx, client, authURL, username, password)
	if err == nil {
		resp.Body.Close()
		return nil, fmt.Errorf("the provider did not redirect back after login (%s): wrong username or password?", resp.Status)
	}
	var uerr *url.Error
	if !errors.As(err, &uerr) || !errors.Is(uerr.Err, errStop) {
		return nil, err
	}
	back, _ := url.Parse(uerr.URL)
	code := back.Query().Get("code")
	if code == "" {
		return nil, fmt.Errorf("the provider redirected without a code: %s", back.Query().Get("error_description"))
	}
	tok, err := cfg.Exchange(octx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange the authorization code: %w", err)
	}
	return tok, nil
}
