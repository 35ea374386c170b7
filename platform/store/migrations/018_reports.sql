-- Reports (issue 18). Reports never read the services' tables: each owner
-- publishes one view, below, as the read interface reports are built on,
-- so an owner may change its tables as long as its view still answers.
-- The views are plain (inlined by the planner), so a report's query plans
-- like a hand-written one over the table.

-- cases: a corrected submission is superseded by its correction, which
-- keeps the date the answers were first given; reports count the current
-- answers once, on that date.
ALTER TABLE submissions
    ADD COLUMN superseded         boolean NOT NULL DEFAULT false,
    ADD COLUMN first_submitted_at timestamptz;
UPDATE submissions s SET superseded = true WHERE EXISTS (SELECT 1 FROM submissions c WHERE c.corrects = s.id);
WITH RECURSIVE chain (id, first_at) AS (
    SELECT id, submitted_at FROM submissions WHERE corrects IS NULL
    UNION ALL
    SELECT s.id, chain.first_at FROM submissions s JOIN chain ON s.corrects = chain.id)
UPDATE submissions s SET first_submitted_at = chain.first_at FROM chain WHERE chain.id = s.id AND s.corrects IS NOT NULL;

-- A report bounded by when submissions were made reads only that range of
-- the form's submissions: the view's submitted_at, indexed.
CREATE INDEX submissions_form_first_submitted ON submissions (form_name, (COALESCE(first_submitted_at, submitted_at)));

-- tasks: when a task was first claimed (time to claim); tasks claimed
-- before this release have none.
ALTER TABLE tasks ADD COLUMN claimed_at timestamptz;

-- cases' view of submissions: the current answers of each, with the case
-- key (a join the planner drops when a report does not use it).
CREATE VIEW report_submissions AS
SELECT s.id, s.case_id, c.business_key AS case_key, s.form_name, s.form_version, s.data,
       s.submitted_by, s.read_access, s.teams,
       COALESCE(s.first_submitted_at, s.submitted_at) AS submitted_at
FROM submissions s LEFT JOIN cases c ON c.id = s.case_id
WHERE NOT s.superseded;

-- instances' view: instances of registered workflows (not draft runs).
CREATE VIEW report_instances AS
SELECT i.id, i.case_id, i.case_key, i.namespace, i.name, i.version, i.status,
       i.started_by, i.read_access, i.teams, i.started_at, i.ended_at
FROM instances i
WHERE NOT i.draft;

-- tasks' view: each task with the workflow it belongs to. A task's teams
-- are the teams among its candidate groups, or else those of whoever
-- started its instance (whose work it is).
CREATE VIEW report_tasks AS
SELECT t.id, t.instance_id, i.case_id, t.case_key, i.namespace, i.name AS workflow, i.version AS workflow_version,
       t.form_name, t.title, t.candidate_groups, t.assignee, t.claimed_by, t.completed_by, t.priority,
       t.due, t.status, t.created_at, t.claimed_at, t.completed_at,
       COALESCE(NULLIF(ARRAY(SELECT substr(g, 6) FROM unnest(t.candidate_groups) g WHERE g LIKE 'team:%'), '{}'), i.teams) AS teams
FROM tasks t JOIN instances i ON i.id = t.instance_id
WHERE NOT i.draft;

-- cases' view of cases.
CREATE VIEW report_cases AS
SELECT c.id, c.business_key AS case_key, c.created_by, c.created_at
FROM cases c;
