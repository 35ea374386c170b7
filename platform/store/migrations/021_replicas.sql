-- Replicas (issue 21): the installation's identity, and the replicas that
-- run against this database with the settings that must agree between
-- them (owned by platform/replicas). A replica started with a setting
-- that differs from a live one's says so at start; one on another
-- database is found through the identity its worker gives Temporal.
CREATE TABLE installation (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    one        boolean     NOT NULL DEFAULT true UNIQUE CHECK (one),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation DEFAULT VALUES;

CREATE TABLE replicas (
    name       text        PRIMARY KEY,
    settings   jsonb       NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);
