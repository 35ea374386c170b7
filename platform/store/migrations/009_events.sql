-- House redesign (issue 14): the transactional event outbox.
--
-- A service announces a domain event by inserting a row here in the
-- change's own transaction; the row is the CloudEvent (id, type, subject,
-- time, data; the source is the installation's, added on delivery).
CREATE TABLE events (
    id       uuid        PRIMARY KEY,
    seq      bigserial   NOT NULL UNIQUE,
    type     text        NOT NULL,
    subject  text        NOT NULL DEFAULT '',
    -- events of draft runs go to no outside subscriber (CloudEvents
    -- extension copdraft)
    draft    boolean     NOT NULL DEFAULT false,
    data     jsonb       NOT NULL,
    time     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_type ON events (type, seq);

-- The subscribers some replica runs, as it registered them at start: which
-- types each takes (exact, or a prefix ending in *) and whether it takes
-- draft events. Publishing an event makes one delivery per subscriber here
-- that takes it, in the same transaction.
CREATE TABLE event_subscribers (
    name          text        PRIMARY KEY,
    types         text[]      NOT NULL,
    drafts        boolean     NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- One delivery per (event, subscriber). A dispatcher claims due rows with
-- FOR UPDATE SKIP LOCKED and pushes due_at past a lease while it delivers,
-- so replicas share the work, a crashed replica's claim lapses, and a row
-- committed late is still found (no cursor over seq can skip it). The
-- replica that commits an event wakes its own dispatcher; the others poll
-- (NOTIFY would serialise every committing transaction on its queue lock).
CREATE TABLE event_deliveries (
    event_id     uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subscriber   text        NOT NULL,
    attempts     int         NOT NULL DEFAULT 0,
    due_at       timestamptz NOT NULL DEFAULT now(),
    last_error   text        NOT NULL DEFAULT '',
    delivered_at timestamptz,
    PRIMARY KEY (event_id, subscriber)
);
CREATE INDEX event_deliveries_due ON event_deliveries (subscriber, due_at) WHERE delivered_at IS NULL;

-- A start form's workflows are decided at the submission's commit: the
-- instance row is written then, as 'starting', with what Temporal will be
-- asked to run; the workflow-start subscriber starts it and marks it
-- running. submission_id names the submission that started it.
ALTER TABLE instances DROP CONSTRAINT instances_status_check;
ALTER TABLE instances ADD CONSTRAINT instances_status_check
    CHECK (status IN ('starting', 'running', 'completed', 'faulted', 'cancelled'));
ALTER TABLE instances ADD COLUMN submission_id uuid;
ALTER TABLE instances ADD COLUMN pending_start jsonb;
