-- Engine hardening (issue 12).

-- A task's revision counts the changes made to its row; last_action is the
-- Update id of the officer's action that made the latest one. Together
-- they let the API name each action request (an Update id Temporal applies
-- once) and answer a retry of an action that already applied.
ALTER TABLE tasks ADD COLUMN revision    int  NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN last_action text NOT NULL DEFAULT '';

-- The trace entries instances hand over (engine.TraceRecord): a long
-- instance keeps only its newest entries, and its end report brings the
-- rest. seq numbers an instance's entries in the order its tasks started.
CREATE TABLE instance_trace (
    instance_id text        NOT NULL,
    seq         int         NOT NULL,
    name        text        NOT NULL,
    position    text        NOT NULL,
    status      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    PRIMARY KEY (instance_id, seq)
);
