-- Outcomes out (issue 16): signed webhooks, a subscriber of the outbox.
--
-- The workflow instance an event is from, where there is one: who may
-- read it decides which webhook subscriptions may receive the event.
ALTER TABLE events ADD COLUMN instance text NOT NULL DEFAULT '';

-- An integrator's subscription: where to POST which event types (exact,
-- or a prefix ending in *), signed with its secret. While a rotated-out
-- secret is within its grace period (previous_until), both sign.
CREATE TABLE webhook_subscriptions (
    id              uuid        PRIMARY KEY,
    owner           text        NOT NULL,
    url             text        NOT NULL,
    types           text[]      NOT NULL,
    description     text        NOT NULL DEFAULT '',
    secret          text        NOT NULL,
    previous_secret text        NOT NULL DEFAULT '',
    previous_until  timestamptz,
    -- a receiver answering 410 Gone disables its subscription; its owner
    -- may enable it again
    enabled         boolean     NOT NULL DEFAULT true,
    disabled_reason text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions (owner, created_at);

-- One delivery per (subscription, event), made when the outbox hands the
-- event over. A sender claims due pending rows with FOR UPDATE SKIP
-- LOCKED and pushes due_at past a lease while it sends, so a replica
-- killed mid-send leaves the delivery to be sent again (at least once,
-- with the same webhook-id). attempts counts the current round: a replay
-- starts a new one.
CREATE TABLE webhook_deliveries (
    id              uuid        PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- withheld: the owner may not read what the event is about (checked at
    -- each attempt); such rows are never shown to the owner
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'delivered', 'dead', 'withheld')),
    attempts        int         NOT NULL DEFAULT 0,
    due_at          timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (subscription_id, created_at DESC, id);

-- What each attempt did, as the deliveries list shows it.
CREATE TABLE webhook_attempts (
    id          bigserial   PRIMARY KEY,
    delivery_id uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    status      int         NOT NULL DEFAULT 0,
    latency_ms  int         NOT NULL DEFAULT 0,
    response    text        NOT NULL DEFAULT '',
    error       text        NOT NULL DEFAULT '',
    outcome     text        NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
