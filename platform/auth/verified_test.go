package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestVerifiedTokensAreRememberedUntilTheyExpire(t *testing.T) {
	var c verifiedTokens
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	p := &Principal{Subject: "officer-1", Roles: []string{"officer"}, Teams: []string{"heathrow"}}
	c.put("token-a", p, now.Add(time.Minute), now)
	got, ok := c.get("token-a", now.Add(59*time.Second))
	if !ok || got.Subject != "officer-1" {
		t.Fatalf("a remembered token: %v %v", got, ok)
	}
	got.Roles[0] = "admin" // a caller changing its copy changes nothing remembered
	if again, _ := c.get("token-a", now); again.Roles[0] != "officer" {
		t.Errorf("the remembered principal was changed through a copy: %v", again.Roles)
	}
	if _, ok := c.get("token-a", now.Add(time.Minute)); ok {
		t.Error("a token was taken at its expiry")
	}
	if _, ok := c.get("token-b", now); ok {
		t.Error("an unknown token was taken")
	}
	// However long a token lives, its verification is trusted for at most
	// maxVerifiedFor.
	c.put("token-long", p, now.Add(24*time.Hour), now)
	if _, ok := c.get("token-long", now.Add(maxVerifiedFor)); ok {
		t.Error("a verification was trusted past maxVerifiedFor")
	}
	// An expired token is not remembered at all.
	c.put("token-old", p, now.Add(-time.Second), now)
	if _, ok := c.get("token-old", now.Add(-time.Minute)); ok {
		t.Error("an expired token was remembered")
	}
}

func TestVerifiedTokensStayBounded(t *testing.T) {
	var c verifiedTokens
	now := time.Now()
	p := &Principal{Subject: "s"}
	for i := range 3 * maxVerifiedTokens {
		c.put(fmt.Sprint("token-", i), p, now.Add(time.Hour), now)
	}
	if n := len(c.entries); n > maxVerifiedTokens {
		t.Errorf("%d tokens remembered, more than %d", n, maxVerifiedTokens)
	}
	if _, ok := c.get(fmt.Sprint("token-", 3*maxVerifiedTokens-1), now); !ok {
		t.Error("the latest token was not remembered")
	}
}
