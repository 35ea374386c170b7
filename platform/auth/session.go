package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/store"
)

// Session is a signed-in browser.
type Session struct {
	Principal *Principal
	CSRF      string    // token that state-changing form posts must carry
	ExpiresAt time.Time // absolute end
	IdleUntil time.Time // end if the browser stays idle
}

// lastSeenGranularity avoids a write on every request: a session's idle
// clock is refreshed at most this often.
const lastSeenGranularity = time.Minute

// CreateSession starts a session for a completed sign-in and returns the
// cookie value. Pass the transaction that also audits the sign-in.
func (a *Authenticator) CreateSession(ctx context.Context, q store.Querier, l *Login) (string, error) {
	p := l.Principal
	token := randomToken()
	now := time.Now().UTC()
	_, err := q.Exec(ctx, `INSERT INTO sessions (token_hash, subject, principal, csrf_token, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6)`,
		hashToken(token), p.Subject, jsonPrincipal(p), randomToken(), now, now.Add(a.sessions.AbsoluteTimeout))
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// Session returns the live session for a cookie value, or nil when there is
// none: unknown (or tampered) token, idle too long, or past its absolute end.
func (a *Authenticator) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, nil
	}
	var raw []byte
	var s Session
	var lastSeen time.Time
	err := a.pool.QueryRow(ctx, `SELECT principal, csrf_token, expires_at, last_seen_at FROM sessions WHERE token_hash = $1`,
		hashToken(token)).Scan(&raw, &s.CSRF, &s.ExpiresAt, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	now := time.Now()
	if now.After(s.ExpiresAt) || now.After(lastSeen.Add(a.sessions.IdleTimeout)) {
		_, _ = a.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token))
		return nil, nil
	}
	if now.Sub(lastSeen) > lastSeenGranularity {
		lastSeen = now
		if _, err := a.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1`, hashToken(token), now); err != nil {
			return nil, fmt.Errorf("refresh session: %w", err)
		}
	}
	s.IdleUntil = lastSeen.Add(a.sessions.IdleTimeout)
	if s.IdleUntil.After(s.ExpiresAt) {
		s.IdleUntil = s.ExpiresAt
	}
	if err := json.Unmarshal(raw, &s.Principal); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return &s, nil
}

// Logout ends the session and returns where to send the browser: the
// provider's end-session endpoint when it has one (so the provider's own
// session ends too), else postLogout. The redirect names COP's client, not
// the user's ID token (id_token_hint): a URL ends up in browser history and
// server logs, and an ID token must not.
func (a *Authenticator) Logout(ctx context.Context, s *Session, token, postLogout string) (string, error) {
	if _, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token)); err != nil {
		return "", fmt.Errorf("end session: %w", err)
	}
	if _, err := a.discover(ctx); err != nil || a.endSession == "" || s == nil {
		return postLogout, nil
	}
	u, err := url.Parse(a.endSession)
	if err != nil {
		return postLogout, nil
	}
	q := u.Query()
	q.Set("client_id", a.cfg.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Sweep deletes expired sessions and abandoned sign-ins.
func (a *Authenticator) Sweep(ctx context.Context) error {
	_, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(secs => $1)`,
		a.sessions.IdleTimeout.Seconds())
	if err != nil {
		return fmt.Errorf("sweep sessions: %w", err)
	}
	return a.sweepLogins(ctx)
}
