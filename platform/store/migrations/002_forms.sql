-- Forms (issue 3): what each definition version was compiled with, cases,
-- submissions, drafts, uploaded files, and idempotent request results.

-- Keep each upload's text as written: jsonb reorders object keys, and the
-- order of a form's properties is the order of its questions.
ALTER TABLE definitions ALTER COLUMN content TYPE json USING content::json;

-- The exact term and reference data versions a definition version resolved
-- its references to, frozen at upload. A reference inside a term (ref_in =
-- 'term:NAME@VERSION') keeps the version that term was uploaded with.
CREATE TABLE definition_pins (
    definition_id bigint NOT NULL REFERENCES definitions (id),
    ref_in        text   NOT NULL,
    kind          text   NOT NULL CHECK (kind IN ('term', 'refdata')),
    name          text   NOT NULL,
    requested     text   NOT NULL, -- version as written; '' for "latest"
    resolved      text   NOT NULL,
    PRIMARY KEY (definition_id, ref_in, kind, name, requested)
);
CREATE INDEX definition_pins_target ON definition_pins (kind, name, resolved);

-- Business keys PREFIX-YYYYMMDD-N: one counter row per prefix and (UTC) day,
-- incremented atomically by INSERT .. ON CONFLICT DO UPDATE (cases.nextBusinessKey).
CREATE TABLE case_counters (
    prefix text   NOT NULL,
    day    date   NOT NULL,
    last   bigint NOT NULL,
    PRIMARY KEY (prefix, day)
);

CREATE TABLE cases (
    id           bigserial   PRIMARY KEY,
    business_key text        NOT NULL UNIQUE,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE submissions (
    id            uuid        PRIMARY KEY,
    case_id       bigint      NOT NULL REFERENCES cases (id),
    form_name     text        NOT NULL,
    form_version  text        NOT NULL,
    data          jsonb       NOT NULL,
    submitted_by  text        NOT NULL,
    -- who may read it besides the submitter: the form version's access.read
    -- and the submitter's teams (for their supervisors), kept with the row
    read_access   text[]      NOT NULL,
    teams         text[]      NOT NULL,
    submitted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_case ON submissions (case_id, submitted_at);
CREATE INDEX submissions_form ON submissions (form_name, form_version, submitted_at);

-- Save-and-return: a partly completed submission, unvalidated, its owner's alone.
CREATE TABLE drafts (
    id           uuid        PRIMARY KEY,
    owner        text        NOT NULL,
    form_name    text        NOT NULL,
    form_version text        NOT NULL,
    case_id      bigint      REFERENCES cases (id),
    data         jsonb       NOT NULL,
    page         text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drafts_owner ON drafts (owner, updated_at DESC);

-- Uploaded files, bytes in PostgreSQL (never in Temporal history). A file
-- belongs to its uploader until a submission that names it is stored.
CREATE TABLE files (
    id            uuid        PRIMARY KEY,
    owner         text        NOT NULL,
    form_name     text        NOT NULL,
    form_version  text        NOT NULL,
    field         text        NOT NULL,
    filename      text        NOT NULL,
    content_type  text        NOT NULL,
    size          bigint      NOT NULL,
    sha256        bytea       NOT NULL,
    content       bytea       NOT NULL,
    submission_id uuid        REFERENCES submissions (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_submission ON files (submission_id);

-- Idempotency-Key: the first successful result of a request, replayed for
-- a retry with the same key and the same request.
CREATE TABLE idempotency_keys (
    actor        text        NOT NULL,
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    status       int         NOT NULL,
    response     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, scope, key)
);
