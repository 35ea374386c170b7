// Package mail sends the notifications workflows address to email
// (`call: notify` with `channels: [email]`): a subscriber of the outbox's
// cop.notification.created that writes one delivery per (notification,
// recipient) and sends each through a Sender (SMTP, smtp.go; GOV.UK
// Notify, notify.go) until it is sent, or fails after its attempts and is
// reported on the notification. It owns mail_deliveries.
package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/directory"
	"cop/platform/events"
)

// Message is one email to one person.
type Message struct {
	To        string // the address
	ToName    string
	Subject   string
	Text      string
	MessageID string // the same on every attempt: a receiver can drop a repeat
	Reference string // the notification and recipient, for a provider's records
}

// Sender sends one message; an error it marks Permanent is not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Name is how the logs and failures name it ("SMTP mail.example.gov.uk:587").
	Name() string
}

// PermanentError is a refusal retrying cannot mend (a team-only Notify
// key, an address the server rejects outright).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Config is how an installation sends mail.
type Config struct {
	// Sender is nil when none is configured: each email then fails at
	// once, visibly, rather than waiting for one.
	Sender Sender
	// PublicURL makes a notification's link absolute in the email.
	PublicURL string
	// Attempts is how many times one email is tried before it fails
	// (default 20: with the outbox's backoff, about a quarter of an hour).
	Attempts int
	// Undelivered reports an email that failed, on its notification.
	Undelivered func(ctx context.Context, notification, recipient, channel, reason string) error
	Log         *slog.Logger
}

// Service sends notifications by email.
type Service struct {
	pool *pgxpool.Pool
	dir  *directory.Service
	cfg  Config
}

// claimFor is how long a replica holds an email it is sending.
const claimFor = time.Minute

// maxRecipients bounds one notification's fan-out to a team or role.
const maxRecipients = 2000

// New returns the service.
func New(pool *pgxpool.Pool, dir *directory.Service, cfg Config) *Service {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{pool: pool, dir: dir, cfg: cfg}
}

// Subscriber is the outbox subscriber that emails notifications whose
// channels include email; draft runs' notifications are never emailed.
func (s *Service) Subscriber() events.Subscriber {
	return events.Subscriber{Name: "mail", Types: []string{events.NotificationCreated}, Handle: s.handle}
}

// notification is cop.notification.created's data.
type notification struct {
	ID          string   `json:"id"`
	BusinessKey string   `json:"businessKey"`
	To          []string `json:"to"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	Link        string   `json:"link"`
	Channels    []string `json:"channels"`
}

// errRetry has the outbox hand the notification over again later, for
// the emails still pending.
var errRetry = errors.New("some emails are still to be sent")

// handle makes the notification's emails (once each) and sends those not
// yet sent, one at a time; while any is still pending (to be tried again,
// or held by a replica that died) the outbox hands the notification over
// again with its backoff.
func (s *Service) handle(ctx context.Context, e events.Event) error {
	var n notification
	if err := json.Unmarshal(e.Data, &n); err != nil {
		return fmt.Errorf("read notification event %s: %w", e.ID, err)
	}
	if !slices.Contains(n.Channels, "email") {
		return nil
	}
	if err := s.addRecipients(ctx, n); err != nil {
		return err
	}
	tried := []string{}
	for ctx.Err() == nil {
		d, ok, err := s.claimOne(ctx, n.ID, tried)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		tried = append(tried, d.recipient)
		if err := s.send(ctx, n, d); err != nil {
			return err
		}
	}
	var pending int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM mail_deliveries WHERE notification_id = $1 AND status = 'pending'`, n.ID).
		Scan(&pending); err != nil {
		return fmt.Errorf("count the emails of notification %s: %w", n.ID, err)
	}
	if pending > 0 {
		return errRetry
	}
	return nil
}

// addRecipients writes a delivery for each recipient the directory knows
// an address for (a team or role: each member); one already written is
// left as it is. Recipients without an address are reported.
func (s *Service) addRecipients(ctx context.Context, n notification) error {
	var users []directory.User
	var groups []string
	for _, to := range n.To {
		if sub, ok := strings.CutPrefix(to, "user:"); ok {
			u, err := s.dir.User(ctx, sub)
			if errors.Is(err, directory.ErrUnknown) {
				s.cfg.Log.Warn("a notification's recipient is not in the user directory: not emailed", "notification", n.ID, "recipient", to)
				continue
			}
			if err != nil {
				return err
			}
			users = append(users, u)
			continue
		}
		groups = append(groups, to)
	}
	if len(groups) > 0 {
		members, err := s.dir.Members(ctx, groups, maxRecipients)
		if err != nil {
			return err
		}
		if len(members) == maxRecipients {
			s.cfg.Log.Warn("a notification's teams and roles have more members than one email goes to: the rest are not emailed",
				"notification", n.ID, "to", groups, "emailed", maxRecipients)
		}
		users = append(users, members...)
	}
	var subjects, addresses, ids []string
	for _, u := range users {
		if u.Email == "" {
			if err := s.report(ctx, n.ID, u.Subject, "the user directory has no email address for you"); err != nil {
				return err
			}
			continue
		}
		subjects, addresses, ids = append(subjects, u.Subject), append(addresses, u.Email), append(ids, messageID(n.ID, u.Subject))
	}
	// One statement for a team of any size; a recipient named twice (as a
	// user and in a role), or written by an earlier try, is kept once.
	if _, err := s.pool.Exec(ctx, `INSERT INTO mail_deliveries (notification_id, recipient, address, message_id)
		SELECT $1, r, a, m FROM unnest($2::text[], $3::text[], $4::text[]) AS x(r, a, m)
		ON CONFLICT DO NOTHING`, n.ID, subjects, addresses, ids); err != nil {
		return fmt.Errorf("record the emails of notification %s: %w", n.ID, err)
	}
	return nil
}

// messageID is the same for every attempt at one email.
func messageID(notification, recipient string) string {
	return events.IDFor("mail", notification, recipient) + "@cop"
}

// delivery is one email this replica is sending.
type delivery struct {
	recipient, address, messageID string
	attempt                       int
	name                          string
}

// claimOne takes one of the notification's pending emails that no other
// replica holds and this round has not tried, counting an attempt.
func (s *Service) claimOne(ctx context.Context, notification string, tried []string) (delivery, bool, error) {
	var d delivery
	err := s.pool.QueryRow(ctx, `UPDATE mail_deliveries m SET attempts = m.attempts + 1,
			claimed_until = now() + make_interval(secs => $3)
		FROM (SELECT recipient FROM mail_deliveries WHERE notification_id = $1 AND status = 'pending'
			AND (claimed_until IS NULL OR claimed_until < now()) AND recipient <> ALL($2::text[])
			ORDER BY recipient LIMIT 1 FOR UPDATE SKIP LOCKED) c
		WHERE m.notification_id = $1 AND m.recipient = c.recipient
		RETURNING m.recipient, m.address, m.message_id, m.attempts`, notification, tried, claimFor.Seconds()).
		Scan(&d.recipient, &d.address, &d.messageID, &d.attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return delivery{}, false, nil
	}
	if err != nil {
		return delivery{}, false, fmt.Errorf("claim an email of notification %s: %w", notification, err)
	}
	return d, true, nil
}

// send tries one email and records what happened. An error is the
// platform's own (the directory, the database): the email is released,
// its attempt not counted, for the outbox's next try.
func (s *Service) send(ctx context.Context, n notification, d delivery) error {
	log := s.cfg.Log.With("notification", n.ID, "recipient", d.recipient, "attempt", d.attempt)
	// What is recorded is recorded even as the handler's time runs out.
	record := func(sql string, args ...any) error {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, err := s.pool.Exec(rctx, sql, append([]any{n.ID, d.recipient}, args...)...)
		return err
	}
	release := func(cause error) error {
		if err := record(`UPDATE mail_deliveries SET claimed_until = NULL, attempts = attempts - 1
			WHERE notification_id = $1 AND recipient = $2`); err != nil {
			log.Error("release an email", "err", err)
		}
		return fmt.Errorf("email notification %s to %s: %w", n.ID, d.recipient, cause)
	}
	if u, err := s.dir.User(ctx, d.recipient); err == nil {
		d.name = u.Name
	} else if !errors.Is(err, directory.ErrUnknown) {
		return release(err)
	}
	var err error
	if s.cfg.Sender == nil {
		err = &PermanentError{errors.New("COP has no mail sender configured (COP_SMTP_URL or COP_NOTIFY_API_KEY)")}
	} else {
		sctx, cancel := context.WithTimeout(ctx, claimFor-15*time.Second)
		err = s.cfg.Sender.Send(sctx, s.message(n, d))
		cancel()
	}
	if err == nil {
		if err := record(`UPDATE mail_deliveries SET status = 'sent', sent_at = now(), claimed_until = NULL, last_error = ''
			WHERE notification_id = $1 AND recipient = $2`); err != nil {
			return fmt.Errorf("record an email sent (it may be sent again): %w", err)
		}
		return nil
	}
	reason := err.Error()
	var permanent *PermanentError
	if !errors.As(err, &permanent) && d.attempt < s.cfg.Attempts {
		log.Warn("email not sent; trying again", "sender", s.senderName(), "err", err)
		if err := record(`UPDATE mail_deliveries SET claimed_until = NULL, last_error = $3
			WHERE notification_id = $1 AND recipient = $2`, reason); err != nil {
			return fmt.Errorf("record an email's failure: %w", err)
		}
		return nil
	}
	log.Error("email failed", "sender", s.senderName(), "err", err)
	// On the notification first: should that fail, the email is still
	// pending, and is tried (and reported) again.
	shown := reason
	if permanent == nil {
		shown = fmt.Sprintf("not sent after %d attempts: %s", d.attempt, reason)
	}
	if err := s.report(context.WithoutCancel(ctx), n.ID, d.recipient, shown); err != nil {
		return release(err)
	}
	if err := record(`UPDATE mail_deliveries SET status = 'failed', claimed_until = NULL, last_error = $3
		WHERE notification_id = $1 AND recipient = $2`, reason); err != nil {
		return fmt.Errorf("record an email failed: %w", err)
	}
	return nil
}

func (s *Service) senderName() string {
	if s.cfg.Sender == nil {
		return "none"
	}
	return s.cfg.Sender.Name()
}

// report puts a failed email on its notification, where the recipient
// sees it in COP.
func (s *Service) report(ctx context.Context, notification, recipient, reason string) error {
	if s.cfg.Undelivered == nil {
		return nil
	}
	return s.cfg.Undelivered(ctx, notification, recipient, "email", reason)
}

// message is the email a notification makes: its title as the subject,
// its body, and a link back into COP.
func (s *Service) message(n notification, d delivery) Message {
	var b strings.Builder
	if n.Body != "" {
		b.WriteString(n.Body + "\n\n")
	}
	if n.Link != "" {
		link := n.Link
		if strings.HasPrefix(link, "/") {
			link = strings.TrimRight(s.cfg.PublicURL, "/") + link
		}
		b.WriteString("Open it in COP: " + link + "\n\n")
	}
	if n.BusinessKey != "" {
		b.WriteString("Case " + n.BusinessKey + "\n")
	}
	b.WriteString("You get this because a COP workflow sent it to you or to a team or role you are in.\n")
	return Message{To: d.address, ToName: d.name, Subject: n.Title, Text: b.String(), MessageID: d.messageID,
		Reference: n.ID + "/" + d.recipient}
}
