-- Events in, routed (issue 17): COP's own correlation of the events other
-- systems send with the instances waiting for them (owned by the inbound
-- service). An instance entering a listen writes a row in listens; an
-- event that arrives is matched against those rows, and each match is a
-- route the router signals to its instance once. An event that matched
-- nothing waits, unconsumed, for a listen that starts later.
ALTER TABLE inbound_events
    -- the access entries (role:, team:, user:) the sender had: a listen
    -- that starts later is driven only by senders its workflow allows
    ADD COLUMN sender_access text[]     NOT NULL DEFAULT '{}',
    -- taken by a listen: no later listen is offered it
    ADD COLUMN consumed      boolean    NOT NULL DEFAULT false,
    -- matched against the listens waiting when it arrived (null: a
    -- request that died before it could; the router does it)
    ADD COLUMN routed_at     timestamptz;
CREATE INDEX inbound_events_unrouted ON inbound_events (received_at) WHERE routed_at IS NULL;
CREATE INDEX inbound_events_waiting ON inbound_events (type, received_at) WHERE NOT consumed;

CREATE TABLE listens (
    instance    text        NOT NULL,
    activation  text        NOT NULL,
    position    text        NOT NULL,
    -- the event types its filters name ('*': a filter that names none,
    -- or names them by pattern), for finding the listens an event may
    -- match
    types       text[]      NOT NULL,
    waiting     jsonb       NOT NULL, -- workflows.Waiting
    -- for finding the listens an event may match by its correlation
    -- values: each from (an expression on the event) of a listen whose
    -- correlations all expect a known value, and from + US + the value as
    -- JSON; null keys: a listen that must be looked at for every event
    corr_froms  text[]      NOT NULL DEFAULT '{}',
    corr_keys   text[],
    -- filters taken so far (mode all), and whether it takes no more
    taken       int[]       NOT NULL DEFAULT '{}',
    done        boolean     NOT NULL DEFAULT false,
    -- who may drive it: its workflow's access.events (admins always)
    drivers     text[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance, activation)
);
CREATE INDEX listens_types ON listens USING gin (types) WHERE NOT done;
CREATE INDEX listens_corr ON listens USING gin (corr_keys) WHERE NOT done;

CREATE TABLE inbound_routes (
    sender       text        NOT NULL,
    source       text        NOT NULL,
    id           text        NOT NULL,
    instance     text        NOT NULL,
    activation   text        NOT NULL DEFAULT '',
    -- arrival: matched a waiting listen when it came; listen: kept, and
    -- taken by a listen as it began; start: the instance a schedule.on
    -- started with it (signalled already: it is the input) or reached.
    -- The router signals each route once.
    via          text        NOT NULL CHECK (via IN ('arrival', 'listen', 'start')),
    signalled_at timestamptz,
    lease_until  timestamptz,
    attempts     int         NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender, source, id, instance),
    FOREIGN KEY (sender, source, id) REFERENCES inbound_events ON DELETE CASCADE
);
CREATE INDEX inbound_routes_pending ON inbound_routes (created_at) WHERE signalled_at IS NULL;
CREATE INDEX inbound_routes_activation ON inbound_routes (instance, activation);

-- The instances events started (schedule.on), by the correlation values
-- that started them: a later event with the same values reaches the
-- running instance instead of starting another (owned by the instances
-- service).
CREATE TABLE event_starts (
    instance   text        PRIMARY KEY REFERENCES instances (id),
    namespace  text        NOT NULL,
    name       text        NOT NULL,
    key        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_starts_key ON event_starts (namespace, name, key);
