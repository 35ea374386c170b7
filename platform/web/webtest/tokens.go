package webtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"cop/platform/devstack"
)

// TokenFor gets an access token for a demo user issued to another client.
func (e *Env) TokenFor(clientID, username string) string {
	e.T.Helper()
	tok, err := devstack.TokenForClient(context.Background(), clientID, e.OP.Issuer, e.Base+"/auth/callback", username, devstack.DevPassword)
	if err != nil {
		e.T.Fatal(err)
	}
	return tok.AccessToken
}

// IDToken is the ID token of a demo user's genuine sign-in to COP's
// client: issued by the provider, signed by its key, addressed to COP.
func (e *Env) IDToken(username string) string {
	e.T.Helper()
	tok, err := devstack.Token(context.Background(), e.OP.Issuer, e.Base+"/auth/callback", username, devstack.DevPassword)
	if err != nil {
		e.T.Fatal(err)
	}
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		e.T.Fatal("the provider returned no ID token")
	}
	return id
}

// Forge signs well-formed claims for the right issuer and audience with a
// key the provider never published.
func Forge(t *testing.T, issuer, audience string) string {
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
