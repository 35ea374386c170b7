package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/auth"
	"cop/platform/store"
	"cop/workflows/engine"
)

// Notification is an in-app notification as its reader sees it.
type Notification struct {
	ID          string `json:"id"`
	Instance    string `json:"instance"`
	BusinessKey string `json:"businessKey,omitempty"`
	Title       string `json:"title"`
	Body        string `json:"body,omitempty"`
	// Translations are the title and body in other languages, by language.
	Translations map[string]engine.NotificationText `json:"translations,omitempty"`
	Link         string                             `json:"link,omitempty"`
	Channels     []string                           `json:"channels"`
	// Undelivered says why a channel other than inapp could not reach the
	// reader (their email), so they have it here instead.
	Undelivered string    `json:"undelivered,omitempty"`
	Read        bool      `json:"read"`
	CreatedAt   time.Time `json:"createdAt"`
}

// In is the notification in language l: its title and body in l where
// the workflow translated them.
func (n Notification) In(l string) Notification {
	if t, ok := n.Translations[l]; ok && t.Title != "" {
		n.Title, n.Body = t.Title, t.Body
	}
	return n
}

// Notifications lists the caller's notifications (to them, their roles or
// their teams), newest first; unread only when asked.
func (s *Service) Notifications(ctx context.Context, p *auth.Principal, unreadOnly bool, limit int, cursor string) ([]Notification, string, error) {
	afterAt, afterID, err := store.NewestFirstAfter(cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT n.id, n.instance_id, n.case_key, n.title, n.body, n.link, n.channels,
			coalesce(f.reason, ''), r.reader IS NOT NULL, n.created_at, n.translations
		FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = $1
			LEFT JOIN LATERAL (SELECT string_agg(reason, '; ' ORDER BY channel) reason FROM notification_failures
				WHERE notification_id = n.id AND recipient = $1) f ON true
		WHERE n.recipients && $2::text[] AND ('inapp' = ANY(n.channels) OR f.reason IS NOT NULL)
			AND (NOT $3 OR r.reader IS NULL) AND (n.created_at, n.id) < ($4::timestamptz, $5)
		ORDER BY n.created_at DESC, n.id DESC LIMIT $6`, p.Subject, p.Entries(), unreadOnly, afterAt, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list notifications: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) {
		var n Notification
		err := row.Scan(&n.ID, &n.Instance, &n.BusinessKey, &n.Title, &n.Body, &n.Link, &n.Channels, &n.Undelivered, &n.Read, &n.CreatedAt, &n.Translations)
		n.CreatedAt = n.CreatedAt.UTC()
		if len(n.Translations) == 0 {
			n.Translations = nil
		}
		return n, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list notifications: %w", err)
	}
	items, next := store.Page(items, limit, func(n Notification) []string { return store.NewestFirstKey(n.CreatedAt, n.ID) })
	return items, next, nil
}

// MarkRead marks a notification to the caller read; one addressed to
// someone else is not found.
func (s *Service) MarkRead(ctx context.Context, p *auth.Principal, id string) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO notification_reads (notification_id, reader)
		SELECT id, $2 FROM notifications WHERE id = $1 AND recipients && $3::text[]
		ON CONFLICT DO NOTHING`, id, p.Subject, p.Entries())
	if err != nil {
		return fmt.Errorf("mark notification %s read: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var mine bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications WHERE id = $1 AND recipients && $2::text[])`, id, p.Entries()).Scan(&mine); err != nil {
			return fmt.Errorf("read notification %s: %w", id, err)
		}
		if !mine {
			return ErrNotFound
		}
	}
	return nil
}

// insertNotification stores a notification an instance sent;
// store.ErrAlreadyApplied when it is there already.
func insertNotification(ctx context.Context, tx pgx.Tx, n engine.Notification) error {
	translations := n.Translations
	if translations == nil {
		translations = map[string]engine.NotificationText{}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO notifications (id, instance_id, case_key, recipients, title, body, link, created_at, channels, translations)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		n.ID, n.Instance, n.CaseKey, store.TextArray(n.To), n.Title, n.Body, n.Link, n.At, channelsOf(n), translations)
	if err != nil {
		return fmt.Errorf("store notification %s: %w", n.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyApplied
	}
	return nil
}

// UnreadCount is how many notifications for the caller they have not read.
func (s *Service) UnreadCount(ctx context.Context, p *auth.Principal) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications n WHERE n.recipients && $2::text[]
		AND ('inapp' = ANY(n.channels) OR EXISTS (SELECT 1 FROM notification_failures f WHERE f.notification_id = n.id AND f.recipient = $1))
		AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.reader = $1)`,
		p.Subject, p.Entries()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// channelsOf is how a notification reaches people: inapp unless it says.
func channelsOf(n engine.Notification) []string {
	if len(n.Channels) == 0 {
		return []string{"inapp"}
	}
	return n.Channels
}

// RecordUndelivered notes that a channel could not reach one recipient
// after its retries: they see the notification in COP, with why. Noting
// it again changes nothing.
func (s *Service) RecordUndelivered(ctx context.Context, notification, recipient, channel, reason string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO notification_failures (notification_id, recipient, channel, reason)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, notification, recipient, channel, reason)
	if err != nil {
		return fmt.Errorf("record notification %s undelivered to %s: %w", notification, recipient, err)
	}
	return nil
}
