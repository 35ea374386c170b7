package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"

	"cop/platform/config"
)

// CallbackPath is where the provider sends the browser back to.
const CallbackPath = "/auth/callback"

// loginTTL bounds how long a sign-in may sit on the provider's login page.
const loginTTL = 15 * time.Minute

// Authenticator talks to the OpenID provider and keeps browser sessions.
type Authenticator struct {
	cfg       config.OIDC
	sessions  config.Session
	publicURL *url.URL
	pool      *pgxpool.Pool
	client    *http.Client

	mu         sync.Mutex
	provider   *oidc.Provider // discovered on first use, so start-up does not need the provider up
	endSession string         // the provider's end_session_endpoint, if it has one

	verified verifiedTokens
}

// NewAuthenticator returns an Authenticator; it contacts the provider lazily.
func NewAuthenticator(cfg config.OIDC, sessions config.Session, publicURL *url.URL, pool *pgxpool.Pool) *Authenticator {
	return &Authenticator{
		cfg: cfg, sessions: sessions, publicURL: publicURL, pool: pool,
		client: &http.Client{Timeout: 10 * time.Second},
	}
}

// Issuer returns the configured issuer URL.
func (a *Authenticator) Issuer() string { return a.cfg.Issuer }

func (a *Authenticator) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, a.client)
}

func (a *Authenticator) discover(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	p, err := oidc.NewProvider(a.ctx(ctx), a.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OpenID provider %s: %w", a.cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra)
	a.endSession = extra.EndSession
	a.provider = p
	return p, nil
}

// Ready fetches the provider's discovery document afresh, for /readyz.
func (a *Authenticator) Ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(a.cfg.Issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery document answered %s", resp.Status)
	}
	return nil
}

// TokenError is a bearer token that was refused; its text is safe to show.
type TokenError struct{ Reason string }

func (e *TokenError) Error() string { return e.Reason }

// VerifyBearer checks an API access token's signature (against the
// provider's published keys), issuer, audience and expiry, and returns the
// principal it names.
func (a *Authenticator) VerifyBearer(ctx context.Context, raw string) (*Principal, error) {
	if p, ok := a.verified.get(raw, time.Now()); ok {
		return p, nil
	}
	p, err := a.discover(ctx)
	if err != nil {
		return nil, err
	}
	v := p.Verifier(&oidc.Config{ClientID: a.cfg.Audience})
	tok, err := v.Verify(a.ctx(ctx), raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return nil, &TokenError{Reason: "the bearer token has expired"}
		case strings.Contains(err.Error(), "audience"):
			return nil, &TokenError{Reason: fmt.Sprintf("the bearer token is not for this API (expected audience %q)", a.cfg.Audience)}
		case strings.Contains(err.Error(), "issued by a different provider"):
			return nil, &TokenError{Reason: "the bearer token was issued by another provider"}
		default:
			return nil, &TokenError{Reason: "the bearer token is not valid (malformed, or not signed by this provider)"}
		}
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, &TokenError{Reason: "the bearer token's claims cannot be read"}
	}
	if why := idTokenMark(raw, claims); why != "" {
		return nil, &TokenError{Reason: "the bearer token is an ID token (" + why + "); send an access token"}
	}
	principal, err := principalFromClaims(claims, a.cfg.RolesClaim, a.cfg.TeamsClaim, "bearer")
	if err != nil {
		return nil, &TokenError{Reason: "the bearer token is not usable: " + err.Error()}
	}
	a.verified.put(raw, principal, tok.Expiry, time.Now())
	return principal, nil
}

// idTokenMark says what marks a verified token as an ID token rather than
// an access token, or "" when nothing does. An ID token proves a sign-in to
// the client; it is not a grant to call the API, and one copied from a
// browser's history must not work as one. The marks: the claims only ID
// tokens carry (nonce, at_hash, c_hash), the token-type claims providers
// set (Keycloak's typ, Cognito's token_use), and a JOSE typ header other
// than a JWT or an RFC 9068 access token.
func idTokenMark(raw string, claims map[string]any) string {
	for _, c := range []string{"nonce", "at_hash", "c_hash"} {
		if _, ok := claims[c]; ok {
			return "it carries " + c
		}
	}
	if typ, _ := claims["typ"].(string); strings.EqualFold(typ, "ID") {
		return "typ is ID"
	}
	if use, _ := claims["token_use"].(string); strings.EqualFold(use, "id") {
		return "token_use is id"
	}
	header, _, _ := strings.Cut(raw, ".")
	var h struct {
		Typ string `json:"typ"`
	}
	if b, err := base64.RawURLEncoding.DecodeString(header); err == nil && json.Unmarshal(b, &h) == nil {
		switch strings.ToLower(h.Typ) {
		case "", "jwt", "at+jwt", "application/at+jwt":
		default:
			return "its header's typ is " + h.Typ
		}
	}
	return ""
}

func (a *Authenticator) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  a.publicURL.String() + CallbackPath,
		Scopes:       a.cfg.Scopes,
	}
}

// BeginLogin records a sign-in in flight and returns the provider URL to send
// the browser to, and the state value the browser must carry back in a cookie.
// returnTo must already be a local path (the web tier's ui.SafeReturn).
func (a *Authenticator) BeginLogin(ctx context.Context, returnTo string) (redirect, state string, err error) {
	p, err := a.discover(ctx)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	_, err = a.pool.Exec(ctx, `INSERT INTO oidc_logins (state_hash, nonce, verifier, return_to) VALUES ($1, $2, $3, $4)`,
		hashToken(state), nonce, verifier, returnTo)
	if err != nil {
		return "", "", fmt.Errorf("record sign-in: %w", err)
	}
	u := a.oauth2Config(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return u, state, nil
}

// Login is a completed sign-in.
type Login struct {
	Principal *Principal
	ReturnTo  string
}

// LoginError is a sign-in callback that cannot be completed; its text is safe to show.
type LoginError struct{ Reason string }

func (e *LoginError) Error() string { return e.Reason }

// FinishLogin completes the callback: the state must match the browser's
// cookie and a sign-in in flight, the code is exchanged with the PKCE
// verifier, the ID token is verified and its nonce checked. The caller
// creates the session (CreateSession) in the transaction that audits it.
func (a *Authenticator) FinishLogin(ctx context.Context, cookieState, state, code string) (*Login, error) {
	fail := func(reason string) (*Login, error) { return nil, &LoginError{Reason: reason} }
	var returnTo string
	if state == "" || cookieState == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookieState)) != 1 {
		return fail("the sign-in response does not belong to this browser (state mismatch); start again")
	}
	var nonce, verifier string
	var created time.Time
	err := a.pool.QueryRow(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING nonce, verifier, return_to, created_at`,
		hashToken(state)).Scan(&nonce, &verifier, &returnTo, &created)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && time.Since(created) > loginTTL) {
		return fail("the sign-in has expired or was already used; start again")
	}
	if err != nil {
		return nil, fmt.Errorf("read sign-in: %w", err)
	}
	if code == "" {
		return fail("the provider sent no authorization code")
	}
	p, err := a.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := a.oauth2Config(p).Exchange(a.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fail("the provider refused the authorization code: " + oauthReason(err))
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return fail("the provider returned no ID token")
	}
	idTok, err := p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID}).Verify(a.ctx(ctx), rawID)
	if err != nil {
		return fail("the ID token is not valid: " + err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idTok.Nonce), []byte(nonce)) != 1 {
		return fail("the ID token's nonce does not match this sign-in")
	}
	var claims map[string]any
	if err := idTok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("read ID token claims: %w", err)
	}
	principal, err := principalFromClaims(claims, a.cfg.RolesClaim, a.cfg.TeamsClaim, "session")
	if err != nil {
		return fail(err.Error())
	}
	return &Login{Principal: principal, ReturnTo: returnTo}, nil
}

func oauthReason(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return re.ErrorCode
	}
	return "token exchange failed"
}

// randomToken is 256 bits from crypto/rand, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// jsonPrincipal encodes a principal for the sessions table.
func jsonPrincipal(p *Principal) []byte {
	b, _ := json.Marshal(p)
	return b
}

// sweepLogins deletes sign-ins abandoned at the provider.
func (a *Authenticator) sweepLogins(ctx context.Context) error {
	_, err := a.pool.Exec(ctx, `DELETE FROM oidc_logins WHERE created_at < now() - make_interval(secs => $1)`, loginTTL.Seconds())
	if err != nil {
		return fmt.Errorf("sweep sign-ins: %w", err)
	}
	return nil
}
