// Package directory is COP's user directory: each person COP has seen,
// with their subject, name, email, roles and teams as the OpenID provider
// last asserted them, and when they were last seen. It is filled at
// sign-in and from bearer tokens; reassigning a task, and pages that show
// people, read it.
package directory

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/auth"
	"cop/platform/store"
)

// User is one person in the directory.
type User struct {
	Subject    string    `json:"sub"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Roles      []string  `json:"roles"`
	Teams      []string  `json:"teams"`
	LastSeenAt time.Time `json:"lastSeenAt"`
}

// Display is the user's name, or their subject when the provider gave none.
func (u User) Display() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Subject
}

// Principal is the user as a principal, for the access rules.
func (u User) Principal() *auth.Principal {
	return &auth.Principal{Subject: u.Subject, Name: u.Name, Email: u.Email, Roles: u.Roles, Teams: u.Teams}
}

// ErrUnknown is a subject the directory has never seen.
var ErrUnknown = errors.New("not a user COP knows")

// Service reads and writes the users table.
type Service struct {
	pool *pgxpool.Pool
	// seen remembers what was last written for each subject, so a caller
	// sending a request a second writes at most once per refreshAfter.
	seen *lru.Cache[string, seenMark]
}

type seenMark struct {
	profile [32]byte
	at      time.Time
}

// refreshAfter is how stale last_seen_at may grow before a request from
// an unchanged user writes it again.
const refreshAfter = 5 * time.Minute

// New returns the service.
func New(pool *pgxpool.Pool) *Service {
	c, _ := lru.New[string, seenMark](10000)
	return &Service{pool: pool, seen: c}
}

// Record writes the principal as it is now (a sign-in: in the transaction
// that audits it).
func Record(ctx context.Context, q store.Querier, p *auth.Principal) error {
	_, err := q.Exec(ctx, `INSERT INTO users (subject, name, email, roles, teams) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject) DO UPDATE SET name = excluded.name, email = excluded.email, roles = excluded.roles,
			teams = excluded.teams, last_seen_at = now()`,
		p.Subject, p.Name, p.Email, nonNil(p.Roles), nonNil(p.Teams))
	if err != nil {
		return fmt.Errorf("record user %s: %w", p.Subject, err)
	}
	return nil
}

// Seen records a principal seen on a request, when they changed or were
// last written more than refreshAfter ago.
func (s *Service) Seen(ctx context.Context, p *auth.Principal) error {
	mark := seenMark{profile: profileHash(p), at: time.Now()}
	last, ok := s.seen.Get(p.Subject)
	if ok && last.profile == mark.profile && mark.at.Sub(last.at) < refreshAfter {
		return nil
	}
	if err := Record(ctx, s.pool, p); err != nil {
		return err
	}
	s.seen.Add(p.Subject, mark)
	return nil
}

func profileHash(p *auth.Principal) [32]byte {
	return sha256.Sum256([]byte(strings.Join([]string{p.Subject, p.Name, p.Email, strings.Join(p.Roles, ","), strings.Join(p.Teams, ",")}, "\n")))
}

const userColumns = `subject, name, email, roles, teams, last_seen_at`

func scanUser(row pgx.CollectableRow) (User, error) {
	var u User
	err := row.Scan(&u.Subject, &u.Name, &u.Email, &u.Roles, &u.Teams, &u.LastSeenAt)
	return u, err
}

// User returns one user, or ErrUnknown.
func (s *Service) User(ctx context.Context, subject string) (User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE subject = $1`, subject)
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", subject, err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("%s: %w", subject, ErrUnknown)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", subject, err)
	}
	return u, nil
}

// Members are the users any of the groups ("role:X", "team:X") includes,
// by name; at most limit.
func (s *Service) Members(ctx context.Context, groups []string, limit int) ([]User, error) {
	var roles, teams []string
	for _, g := range groups {
		kind, name, _ := strings.Cut(g, ":")
		switch kind {
		case "role":
			roles = append(roles, name)
		case "team":
			teams = append(teams, name)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE roles && $1 OR teams && $2
		ORDER BY lower(coalesce(nullif(name, ''), subject)), subject LIMIT $3`, nonNil(roles), nonNil(teams), limit)
	if err != nil {
		return nil, fmt.Errorf("list members of %v: %w", groups, err)
	}
	return pgx.CollectRows(rows, scanUser)
}

// Names maps each subject the directory knows to its display name.
func (s *Service) Names(ctx context.Context, subjects []string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE subject = ANY($1)`, nonNil(subjects))
	if err != nil {
		return nil, fmt.Errorf("read names: %w", err)
	}
	users, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("read names: %w", err)
	}
	out := make(map[string]string, len(users))
	for _, u := range users {
		out[u.Subject] = u.Display()
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
