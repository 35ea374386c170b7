package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/store"
	"cop/workflows"
)

// Subscription is an integrator's subscription, as the API shows it. The
// secret appears only in the answer that makes it (create, rotate).
type Subscription struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Types       []string `json:"types"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason says why COP stopped sending (a 410 from the receiver).
	DisabledReason string `json:"disabledReason,omitempty"`
	// PreviousSecretUntil is when the secret a rotation replaced stops
	// signing, while it still does.
	PreviousSecretUntil *time.Time `json:"previousSecretUntil,omitempty"`
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`
	Secret              string     `json:"secret,omitempty"`
}

// Spec is what an integrator asks for: where, which types, and why.
type Spec struct {
	URL         string   `json:"url"`
	Types       []string `json:"types"`
	Description string   `json:"description"`
}

// Change is a PATCH of a subscription: the fields given are changed.
type Change struct {
	URL         *string   `json:"url"`
	Types       *[]string `json:"types"`
	Description *string   `json:"description"`
	Enabled     *bool     `json:"enabled"`
}

// ErrNotFound is a subscription or delivery that does not exist, or that
// the caller may not manage.
var ErrNotFound = problem.NotFoundf("no such webhook subscription")

// Limits on what one integrator may ask for: each event is sent to every
// subscription that takes it, so subscriptions are bounded.
const (
	maxSubscriptions  = 25
	maxTypes          = 50
	maxURLLength      = 2000
	maxDescription    = 500
	maxTypeLength     = 200
	defaultGrace      = 24 * time.Hour
	maxGrace          = 7 * 24 * time.Hour
	subscriptionCols  = `id::text, url, types, description, owner, enabled, disabled_reason, previous_until, created_at, updated_at`
	liveSecretsClause = `CASE WHEN previous_until > now() THEN ARRAY[secret, previous_secret] ELSE ARRAY[secret] END`
)

// typePattern is an event type, or a prefix of one ending in *.
var typePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\*?$|^\*$`)

func scanSubscription(row pgx.CollectableRow) (Subscription, error) {
	var s Subscription
	err := row.Scan(&s.ID, &s.URL, &s.Types, &s.Description, &s.Owner, &s.Enabled, &s.DisabledReason, &s.PreviousSecretUntil,
		&s.CreatedAt, &s.UpdatedAt)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	if s.PreviousSecretUntil != nil {
		if s.PreviousSecretUntil.Before(time.Now()) {
			s.PreviousSecretUntil = nil
		} else {
			t := s.PreviousSecretUntil.UTC()
			s.PreviousSecretUntil = &t
		}
	}
	return s, err
}

// Create stores a subscription for the caller and returns it with its
// secret, which COP shows this once.
func (s *Service) Create(ctx context.Context, p *auth.Principal, who audit.Who, spec Spec) (Subscription, error) {
	if fields := s.checkSpec(ctx, spec); len(fields) > 0 {
		return Subscription{}, problem.Invalidf(fields, "the webhook subscription is not valid")
	}
	secret, err := NewSecret()
	if err != nil {
		return Subscription{}, err
	}
	id := uuid.NewString()
	var sub Subscription
	err = store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		// One owner's creations queue here, so two at once cannot both
		// pass the count.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1, 0))`, p.Subject); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_subscriptions WHERE owner = $1`, p.Subject).Scan(&n); err != nil {
			return err
		}
		if n >= maxSubscriptions {
			return problem.Conflictf("you have %d webhook subscriptions, the most one caller may have: delete one you no longer need, or widen one's types", n)
		}
		sub, err = write(ctx, tx, who.Entry("webhook.create", "webhook:"+id, audit.OK, map[string]any{"url": spec.URL, "types": spec.Types}),
			`INSERT INTO webhook_subscriptions (id, owner, url, types, description, secret)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+subscriptionCols, id, p.Subject, spec.URL, spec.Types, spec.Description, secret)
		return err
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("create webhook subscription: %w", err)
	}
	sub.Secret = secret
	return sub, nil
}

// checkSpec finds what is wrong with a subscription's fields, each at its
// pointer.
func (s *Service) checkSpec(ctx context.Context, spec Spec) []problem.Field {
	var fields []problem.Field
	if msg := s.checkURL(spec.URL); msg != "" {
		fields = append(fields, problem.Field{Pointer: "/url", Message: msg})
	}
	fields = append(fields, s.checkTypes(ctx, spec.Types)...)
	if n := len([]rune(spec.Description)); n > maxDescription {
		fields = append(fields, problem.Field{Pointer: "/description", Message: fmt.Sprintf("description is %d characters; at most %d", n, maxDescription)})
	}
	return fields
}

// checkURL says what is wrong with a receiver's URL, or "".
func (s *Service) checkURL(raw string) string {
	if raw == "" {
		return "url is required: where COP should POST the events"
	}
	if len(raw) > maxURLLength {
		return fmt.Sprintf("url is %d characters; at most %d", len(raw), maxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "url must be an absolute https URL, such as https://analytics.example.gov.uk/cop-events"
	}
	if u.User != nil {
		return "url must not carry a user name or password: receivers check COP's signature instead"
	}
	if u.Fragment != "" {
		return "url must not have a fragment (#…): it is never sent"
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && !s.cfg.Allow.AdmitsAddress(a) {
		return fmt.Sprintf("%s is not a public address, and the outbound allow-list (COP_WEBHOOK_ALLOWLIST, else COP_CALL_ALLOWLIST) does not name it", u.Hostname())
	}
	if !s.cfg.Allow.Allows(u) {
		return fmt.Sprintf("%s is not on the outbound allow-list (COP_WEBHOOK_ALLOWLIST, else COP_CALL_ALLOWLIST): an operator must add the host before COP may send to it", u.Host)
	}
	if u.Scheme == "http" && s.cfg.RequireHTTPS && !s.cfg.Allow.PlainHTTP(u) {
		return fmt.Sprintf("url must use https; plain http is allowed only to a host the outbound allow-list names as http://%s", u.Host)
	}
	return ""
}

// checkTypes checks each type: an event type COP announces or a stored
// workflow emits, or a prefix ending in * (one under cop. must match a
// type COP announces).
func (s *Service) checkTypes(ctx context.Context, types []string) []problem.Field {
	if len(types) == 0 {
		return []problem.Field{{Pointer: "/types", Message: "types is required: the event types to send, such as cop.instance.completed, or a prefix such as cop.task.*"}}
	}
	if len(types) > maxTypes {
		return []problem.Field{{Pointer: "/types", Message: fmt.Sprintf("types has %d entries; at most %d (use a prefix ending in *)", len(types), maxTypes)}}
	}
	var emitted []string
	var fields []problem.Field
	for i, t := range types {
		ptr := "/types/" + strconv.Itoa(i)
		switch {
		case t == "" || len(t) > maxTypeLength || !typePattern.MatchString(t):
			fields = append(fields, problem.Field{Pointer: ptr, Message: fmt.Sprintf(
				"%q is not an event type or a pattern: use letters, digits, dots, hyphens and underscores, with at most one * at the end", t)})
		case slices.Contains(types[:i], t):
			fields = append(fields, problem.Field{Pointer: ptr, Message: fmt.Sprintf("%q is listed twice", t)})
		case strings.HasSuffix(t, "*"):
			prefix := strings.TrimSuffix(t, "*")
			if strings.HasPrefix(prefix, workflows.ReservedEventPrefix) && !slices.ContainsFunc(events.Types, func(k string) bool { return strings.HasPrefix(k, prefix) }) {
				fields = append(fields, problem.Field{Pointer: ptr, Message: fmt.Sprintf("%q matches none of COP's event types (%s)", t, strings.Join(events.Types, ", "))})
			}
		case strings.HasPrefix(t, workflows.ReservedEventPrefix):
			if !slices.Contains(events.Types, t) {
				fields = append(fields, problem.Field{Pointer: ptr, Message: fmt.Sprintf("%q is not one of COP's event types (%s)", t, strings.Join(events.Types, ", "))})
			}
		default:
			if emitted == nil {
				var err error
				if emitted, err = s.emitted(ctx); err != nil {
					s.cfg.Log.Error("read the event types workflows emit", "err", err)
					emitted = []string{}
				}
			}
			if !slices.Contains(emitted, t) {
				fields = append(fields, problem.Field{Pointer: ptr, Message: fmt.Sprintf(
					"no workflow emits %q: name a type a published workflow's emit task sends, or a prefix such as %s", t, prefixOf(t))})
			}
		}
	}
	return fields
}

// prefixOf suggests a pattern for a type: everything up to its last dot.
func prefixOf(t string) string {
	if i := strings.LastIndex(t, "."); i > 0 {
		return t[:i+1] + "*"
	}
	return t + "*"
}

// List returns the subscriptions the caller manages (an admin: all), newest
// first.
func (s *Service) List(ctx context.Context, p *auth.Principal, limit int, cursor string) ([]Subscription, string, error) {
	afterAt, afterID, err := store.NewestFirstAfter(cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+subscriptionCols+` FROM webhook_subscriptions
		WHERE ($1 OR owner = $2) AND (created_at, id::text) < ($3::timestamptz, $4)
		ORDER BY created_at DESC, id::text DESC LIMIT $5`, p.HasRole(auth.RoleAdmin), p.Subject, afterAt, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list webhook subscriptions: %w", err)
	}
	subs, err := pgx.CollectRows(rows, scanSubscription)
	if err != nil {
		return nil, "", fmt.Errorf("list webhook subscriptions: %w", err)
	}
	subs, next := store.Page(subs, limit, func(s Subscription) []string { return store.NewestFirstKey(s.CreatedAt, s.ID) })
	return subs, next, nil
}

// Get returns one subscription the caller manages.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Subscription, error) {
	return s.managed(ctx, s.pool, p, id, "")
}

// managed reads a subscription the caller manages (lock: "FOR UPDATE" in
// a transaction); anyone else is told it does not exist.
func (s *Service) managed(ctx context.Context, q store.Querier, p *auth.Principal, id, lock string) (Subscription, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Subscription{}, ErrNotFound
	}
	rows, err := q.Query(ctx, `SELECT `+subscriptionCols+` FROM webhook_subscriptions WHERE id = $1 `+lock, id)
	if err != nil {
		return Subscription{}, fmt.Errorf("read webhook subscription %s: %w", id, err)
	}
	sub, err := pgx.CollectExactlyOneRow(rows, scanSubscription)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && sub.Owner != p.Subject && !p.HasRole(auth.RoleAdmin)) {
		return Subscription{}, ErrNotFound
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("read webhook subscription %s: %w", id, err)
	}
	return sub, nil
}

// Update changes the fields a PATCH gives; enabling a disabled
// subscription resumes sending what is pending.
func (s *Service) Update(ctx context.Context, p *auth.Principal, who audit.Who, id string, ch Change) (Subscription, error) {
	var sub Subscription
	err := store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := s.managed(ctx, tx, p, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		spec := Spec{URL: cur.URL, Types: cur.Types, Description: cur.Description}
		enabled := cur.Enabled
		if ch.URL != nil {
			spec.URL = *ch.URL
		}
		if ch.Types != nil {
			spec.Types = *ch.Types
		}
		if ch.Description != nil {
			spec.Description = *ch.Description
		}
		if ch.Enabled != nil {
			enabled = *ch.Enabled
		}
		var fields []problem.Field
		for _, f := range s.checkSpec(ctx, spec) {
			// Only what the PATCH sends is checked: a host taken off the
			// allow-list since does not stop a change of description.
			if (f.Pointer == "/url" && ch.URL != nil) || (strings.HasPrefix(f.Pointer, "/types") && ch.Types != nil) ||
				(f.Pointer == "/description" && ch.Description != nil) {
				fields = append(fields, f)
			}
		}
		if len(fields) > 0 {
			return problem.Invalidf(fields, "the webhook subscription change is not valid")
		}
		sub, err = write(ctx, tx, who.Entry("webhook.update", "webhook:"+id, audit.OK,
			map[string]any{"url": spec.URL, "types": spec.Types, "enabled": enabled}),
			`UPDATE webhook_subscriptions SET url = $2, types = $3, description = $4, enabled = $5,
			disabled_reason = CASE WHEN $5 THEN '' ELSE CASE WHEN enabled THEN 'disabled by ' || $6 ELSE disabled_reason END END,
			updated_at = now() WHERE id = $1 RETURNING `+subscriptionCols, id, spec.URL, spec.Types, spec.Description, enabled, who.Actor)
		return err
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("webhook subscription %s: %w", id, err)
	}
	if sub.Enabled {
		s.Wake()
	}
	return sub, nil
}

// Delete removes a subscription and its deliveries; nothing more is sent.
func (s *Service) Delete(ctx context.Context, p *auth.Principal, who audit.Who, id string) error {
	err := store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		sub, err := s.managed(ctx, tx, p, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_subscriptions WHERE id = $1`, id); err != nil {
			return err
		}
		if err := syncTypes(ctx, tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("webhook.delete", "webhook:"+id, audit.OK, map[string]any{"url": sub.URL}))
	})
	if err != nil {
		return fmt.Errorf("webhook subscription %s: %w", id, err)
	}
	return nil
}

// Rotate gives a subscription a new secret, returned this once; the one it
// replaces keeps signing beside it for grace (0: a day), so a receiver can
// change over without dropping a delivery.
func (s *Service) Rotate(ctx context.Context, p *auth.Principal, who audit.Who, id string, grace time.Duration) (Subscription, error) {
	if grace < 0 || grace > maxGrace {
		return Subscription{}, problem.Invalidf(problem.At("/graceSeconds", fmt.Sprintf("graceSeconds must be 1 to %d (7 days)", int(maxGrace.Seconds()))),
			"the grace period is out of range")
	}
	if grace == 0 {
		grace = defaultGrace
	}
	secret, err := NewSecret()
	if err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err = store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := s.managed(ctx, tx, p, id, "FOR UPDATE"); err != nil {
			return err
		}
		sub, err = write(ctx, tx, who.Entry("webhook.rotate-secret", "webhook:"+id, audit.OK, map[string]any{"graceSeconds": int(grace.Seconds())}),
			`UPDATE webhook_subscriptions SET previous_secret = secret, secret = $2,
			previous_until = now() + make_interval(secs => $3), updated_at = now() WHERE id = $1 RETURNING `+subscriptionCols,
			id, secret, grace.Seconds())
		return err
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("webhook subscription %s: %w", id, err)
	}
	sub.Secret = secret
	return sub, nil
}

// write runs one statement that returns a subscription, keeps the outbox
// subscriber's types in step, and audits the change, in tx.
func write(ctx context.Context, tx pgx.Tx, entry audit.Entry, sql string, args ...any) (Subscription, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return Subscription{}, err
	}
	sub, err := pgx.CollectExactlyOneRow(rows, scanSubscription)
	if err != nil {
		return Subscription{}, err
	}
	if err := syncTypes(ctx, tx); err != nil {
		return Subscription{}, err
	}
	return sub, audit.Record(ctx, tx, entry)
}
