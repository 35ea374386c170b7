-- Engine hardening (issue 12).

-- A task's revision counts the changes made to its row; last_action is the
-- Update id of the officer's action that made the latest one. Together
-- they let the API name each action request (an Update id Temporal applies
-- once) and answer a retry of an action that already applied.
ALTER TABLE tasks ADD COLUMN revision    int  NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN last_action text NOT NULL DEFAULT '';
