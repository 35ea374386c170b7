-- Events in (issue 17): the CloudEvents other systems send COP, each kept
-- once per (sender, source, id) so one sender cannot pre-empt another's,
-- for COP_EVENT_RETENTION, for the listens they are for (owned by the
-- inbound service).
CREATE TABLE inbound_events (
    sender          text        NOT NULL, -- the subject of whoever sent it
    source          text        NOT NULL,
    id              text        NOT NULL,
    type            text        NOT NULL,
    subject         text        NOT NULL DEFAULT '',
    time            timestamptz,
    datacontenttype text        NOT NULL DEFAULT '',
    data            jsonb       NOT NULL,
    extensions      jsonb       NOT NULL DEFAULT '{}',
    received_at     timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (sender, source, id)
);
CREATE INDEX inbound_events_type ON inbound_events (type, received_at);
CREATE INDEX inbound_events_expiry ON inbound_events (expires_at);
