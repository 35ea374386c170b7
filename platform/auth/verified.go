package auth

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// verifiedTokens remembers bearer tokens already verified, until they
// expire: checking a token's signature is most of an API call's own work
// (an RSA verification, about a sixth of a submission's CPU), and an
// integrator sends the same token for many calls. A token's signature,
// issuer and audience do not change; its expiry is checked on every use.
// Keyed by the token's SHA-256, so the cache holds no usable token.
type verifiedTokens struct {
	mu      sync.Mutex
	entries map[[32]byte]verifiedToken
}

type verifiedToken struct {
	principal Principal
	until     time.Time
}

const (
	// maxVerifiedTokens bounds the cache: 10,000 staff's tokens at once.
	maxVerifiedTokens = 10_000
	// maxVerifiedFor bounds how long a verification is trusted, so a
	// provider's key withdrawn after a compromise stops its tokens within
	// minutes even before they expire.
	maxVerifiedFor = 5 * time.Minute
)

func (c *verifiedTokens) get(raw string, now time.Time) (*Principal, bool) {
	key := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		delete(c.entries, key)
		return nil, false
	}
	p := e.principal // a copy: callers may not change the cached one
	p.Roles, p.Teams = slices.Clone(p.Roles), slices.Clone(p.Teams)
	return &p, true
}

func (c *verifiedTokens) put(raw string, p *Principal, expiry, now time.Time) {
	until := now.Add(maxVerifiedFor)
	if expiry.Before(until) {
		until = expiry
	}
	if !now.Before(until) {
		return
	}
	key := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[[32]byte]verifiedToken)
	}
	if len(c.entries) >= maxVerifiedTokens {
		c.evict(now)
	}
	c.entries[key] = verifiedToken{principal: *p, until: until}
}

// evict drops the expired entries, or, when none has expired, about half
// of them (map order is random): a full cache only costs verifications.
func (c *verifiedTokens) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) < maxVerifiedTokens {
		return
	}
	n := 0
	for k := range c.entries {
		if n%2 == 0 {
			delete(c.entries, k)
		}
		n++
	}
}
