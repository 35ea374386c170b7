-- Platform security (issue 13): the user directory. COP keeps each user
-- it has seen (at sign-in, or calling with a bearer token) as the provider
-- last described them, so a task can be reassigned only to a real person
-- in its groups, and pages can show names instead of subjects.
CREATE TABLE users (
    subject       text        PRIMARY KEY,
    name          text        NOT NULL DEFAULT '',
    email         text        NOT NULL DEFAULT '',
    roles         text[]      NOT NULL DEFAULT '{}',
    teams         text[]      NOT NULL DEFAULT '{}',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_roles ON users USING gin (roles);
CREATE INDEX users_teams ON users USING gin (teams);
