-- Registry: every runtime-registered artefact (forms, workflows, terms, ...).
-- Versions are immutable; the registry code enforces identical-or-409.
CREATE TABLE definitions (
    id          bigserial PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,39}$'),
    namespace   text        NOT NULL,
    name        text        NOT NULL,
    version     text        NOT NULL,
    -- sortable form of the semver version (see registry.versionKey), compared with COLLATE "C"
    version_key text        NOT NULL,
    content     jsonb       NOT NULL,
    checksum    text        NOT NULL,
    status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    uploaded_by text        NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    retired_by  text,
    retired_at  timestamptz,
    UNIQUE (kind, namespace, name, version)
);
CREATE INDEX definitions_latest ON definitions (kind, namespace, name, version_key COLLATE "C" DESC) WHERE status = 'active';

-- Audit trail. Rows are inserted unsealed (seq NULL) by any transaction; one
-- sealer links them into a hash chain in commit order (audit.Sealer).
CREATE TABLE audit_log (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    resource   text        NOT NULL,
    outcome    text        NOT NULL,
    request_id text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    seq        bigint UNIQUE,
    prev_hash  bytea,
    hash       bytea
);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
CREATE INDEX audit_log_resource ON audit_log (resource, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

-- Browser sign-in: one row per login in flight (state, nonce, PKCE verifier),
-- deleted when the callback uses it.
CREATE TABLE oidc_logins (
    state_hash bytea       PRIMARY KEY,
    nonce      text        NOT NULL,
    verifier   text        NOT NULL,
    return_to  text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Server-side browser sessions. The cookie holds a random token; only its
-- SHA-256 is stored, so a database read does not yield a usable cookie.
CREATE TABLE sessions (
    token_hash   bytea       PRIMARY KEY,
    subject      text        NOT NULL,
    principal    jsonb       NOT NULL,
    id_token     text        NOT NULL,
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
