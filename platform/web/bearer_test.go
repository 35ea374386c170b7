package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"cop/platform/devstack"
)

func TestBearerTokens(t *testing.T) {
	e := newEnv(t)
	author := e.token("author")

	resp, body := e.do(nil, "GET", "/api/v1/me", author, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"sub":"dev-author"`) || !strings.Contains(body, `"via":"bearer"`) {
		t.Fatalf("valid token: %d %s", resp.StatusCode, body)
	}

	// No token at all.
	resp, body = e.do(nil, "GET", "/api/v1/me", "", nil)
	p := problemOf(t, resp, body, http.StatusUnauthorized)
	if resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(p.Detail, "Bearer <token>") {
		t.Errorf("no token: %+v %q", p, resp.Header.Get("WWW-Authenticate"))
	}

	cases := []struct {
		name, header, detail string
	}{
		{"wrong scheme", "Basic " + author, "must be `Bearer <access token>`"},
		{"malformed", "Bearer not.a.jwt", "not valid"},
		{"tampered payload", "Bearer " + tamperPayload(author), "not valid"},
		{"wrongly signed", "Bearer " + forge(t, e.op.Issuer, devstack.DevClientID), "not signed by this provider"},
		{"another audience", "Bearer " + e.tokenFor("other-app", "author"), "not for this API"},
		{"another issuer", "Bearer " + e.tokenFromAnotherProvider(t), "not signed by this provider"},
		{"an ID token", "Bearer " + e.idToken("author"), "is an ID token (it carries at_hash)"},
	}
	for _, tc := range cases {
		resp, body := e.do(nil, "GET", "/api/v1/me", "", nil, "Authorization", tc.header)
		p := problemOf(t, resp, body, http.StatusUnauthorized)
		if !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: detail %q, want it to say %q", tc.name, p.Detail, tc.detail)
		}
	}

	// A valid token without the role a route needs.
	resp, body = e.do(nil, "GET", "/api/v1/audit", author, nil)
	p = problemOf(t, resp, body, http.StatusForbidden)
	if p.Detail != "this needs one of the roles admin, supervisor; you have author" {
		t.Errorf("403 detail %q", p.Detail)
	}
	resp, _ = e.do(nil, "GET", "/api/v1/audit", e.token("supervisor"), nil)
	if resp.StatusCode != 200 {
		t.Errorf("supervisor reading the audit trail: %d", resp.StatusCode)
	}
}

func TestExpiredTokenIsRefused(t *testing.T) {
	e := newEnv(t, func(o *envOption) { o.tokenTTL = time.Second })
	tok := e.token("officer")
	time.Sleep(2100 * time.Millisecond)
	resp, body := e.do(nil, "GET", "/api/v1/me", tok, nil)
	p := problemOf(t, resp, body, http.StatusUnauthorized)
	if p.Detail != "the bearer token has expired" {
		t.Errorf("detail %q", p.Detail)
	}
}

func (e *env) tokenFor(clientID, username string) string {
	e.t.Helper()
	tok, err := devstack.TokenForClient(context.Background(), clientID, e.op.Issuer, e.base+"/auth/callback", username, devstack.DevPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.AccessToken
}

// idToken is the ID token of a demo user's genuine sign-in to COP's
// client: issued by the provider, signed by its key, addressed to COP.
func (e *env) idToken(username string) string {
	e.t.Helper()
	tok, err := devstack.Token(context.Background(), e.op.Issuer, e.base+"/auth/callback", username, devstack.DevPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		e.t.Fatal("the provider returned no ID token")
	}
	return id
}

// tokenFromAnotherProvider is a genuine token from a second provider.
func (e *env) tokenFromAnotherProvider(t *testing.T) string {
	other := newEnv(t)
	return other.token("admin")
}

// tamperPayload raises the token's roles to admin without re-signing it.
func tamperPayload(token string) string {
	parts := strings.Split(token, ".")
	var claims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(b, &claims)
	claims["roles"] = []string{"admin"}
	b, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// forge signs well-formed claims for the right issuer and audience with a
// key the provider never published.
func forge(t *testing.T, issuer, audience string) string {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "forged"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": issuer, "aud": []string{audience}, "sub": "dev-admin", "roles": []string{"admin"},
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
