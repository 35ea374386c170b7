-- Outcomes out (issue 16): notify by email.
--
-- How a notification reaches its recipients: in COP's pages (inapp), by
-- email, or both. Those sent before there were channels were in-app.
ALTER TABLE notifications ADD COLUMN channels text[] NOT NULL DEFAULT '{inapp}';

-- A channel that could not reach a recipient, after its retries: the
-- recipient sees the notification in COP with why (owned by the tasks
-- service, beside its notifications; the mail service reports here).
CREATE TABLE notification_failures (
    notification_id text        NOT NULL REFERENCES notifications (id),
    recipient       text        NOT NULL, -- a user's subject
    channel         text        NOT NULL,
    reason          text        NOT NULL,
    failed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, recipient, channel)
);

-- One email per (notification, recipient), made when the outbox hands the
-- notification over, so a retry or a restart sends each at most once it
-- is marked sent. The mail service claims a row (claimed_until) while it
-- sends, so two replicas never send the same row at once.
CREATE TABLE mail_deliveries (
    notification_id text        NOT NULL,
    recipient       text        NOT NULL, -- a user's subject
    address         text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int         NOT NULL DEFAULT 0,
    claimed_until   timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    message_id      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (notification_id, recipient)
);
