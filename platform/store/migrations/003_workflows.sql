-- Workflows (issue 4): instances and the case they belong to, the inbox of
-- user tasks, in-app notifications, and the events instances emit.

-- One row per instance started through the platform (registered or draft);
-- the Temporal workflow id is the instance id. status follows the instance:
-- the interpreter reports its end (engine.InstanceEnd), and reads of a row
-- still marked running check Temporal, so a lost report cannot stick.
CREATE TABLE instances (
    id          text        PRIMARY KEY,
    namespace   text        NOT NULL,
    name        text        NOT NULL,
    version     text        NOT NULL,
    draft       boolean     NOT NULL DEFAULT false,
    case_id     bigint      REFERENCES cases (id), -- null for a draft run outside any case
    started_by  text        NOT NULL,
    -- who may read it besides the starter: the workflow's access.read and
    -- the starter's teams (for their supervisors), kept with the row
    read_access text[]      NOT NULL,
    teams       text[]      NOT NULL,
    status      text        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'completed', 'faulted', 'cancelled')),
    output      jsonb,
    error       jsonb,
    -- Idempotency-Key: the instance id derives from the caller and key;
    -- a retry with the same key must carry the same request
    request_hash bytea,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz
);
CREATE INDEX instances_started ON instances (started_at DESC, id);
CREATE INDEX instances_definition ON instances (namespace, name, started_at DESC);
CREATE INDEX instances_case ON instances (case_id, started_at);
CREATE INDEX instances_running ON instances (status) WHERE status = 'running';

-- The inbox: one row per userTask call, created by the instance (an
-- activity) and changed only through the instance's Update, whose
-- validator checks the caller. instance_id has no foreign key: tasks of a
-- sub-workflow belong to the child's Temporal id.
CREATE TABLE tasks (
    id               text        PRIMARY KEY,
    instance_id      text        NOT NULL,
    position         text        NOT NULL,
    case_key         text        NOT NULL DEFAULT '',
    form_name        text        NOT NULL,
    form_version     text        NOT NULL,
    title            text        NOT NULL,
    candidate_groups text[]      NOT NULL,
    assignee         text        NOT NULL DEFAULT '',
    claimed_by       text        NOT NULL DEFAULT '',
    priority         int         NOT NULL CHECK (priority BETWEEN 1 AND 5),
    reason           text        NOT NULL DEFAULT '',
    due              timestamptz,
    input            jsonb,
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
    data             jsonb,
    completed_by     text        NOT NULL DEFAULT '',
    escalated        boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    completed_at     timestamptz
);
-- The task list's order: priority, then due date (none last), then age.
CREATE INDEX tasks_queue ON tasks (status, priority, (COALESCE(due, 'infinity')), created_at, id);
CREATE INDEX tasks_instance ON tasks (instance_id);
CREATE INDEX tasks_groups ON tasks USING gin (candidate_groups);

-- In-app notifications (call: notify, escalations), addressed to user:SUB,
-- team:NAME or role:NAME entries; read state is per reader.
CREATE TABLE notifications (
    id          text        PRIMARY KEY,
    instance_id text        NOT NULL,
    case_key    text        NOT NULL DEFAULT '',
    recipients  text[]      NOT NULL,
    title       text        NOT NULL,
    body        text        NOT NULL DEFAULT '',
    link        text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX notifications_recipients ON notifications USING gin (recipients);
CREATE TABLE notification_reads (
    notification_id text        NOT NULL REFERENCES notifications (id),
    reader          text        NOT NULL,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, reader)
);

-- What instances emitted (emit), for integrators to read back.
CREATE TABLE emitted_events (
    id          bigserial   PRIMARY KEY,
    instance_id text        NOT NULL,
    event       jsonb       NOT NULL,
    emitted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX emitted_events_instance ON emitted_events (instance_id, id);
