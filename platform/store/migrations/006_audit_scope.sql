-- Platform security (issue 13): who may read which audit rows, and where a
-- request came from.
--
-- teams are the teams whose cases a row is about, worked out from its
-- resource when the row is written (in the writer's transaction, so the
-- resource is there): a submission's and an instance's teams, and a task's
-- instance teams plus the teams among its candidate groups. Supervisors
-- read the rows of their teams (and their own); admins read every row.
-- teams is an index of the row, not part of what the hash chain seals.
--
-- client_ip and user_agent say where an HTTP request came from; the chain
-- seals them when set (rows from before this migration hash as they did).
ALTER TABLE audit_log ADD COLUMN teams      text[] NOT NULL DEFAULT '{}';
ALTER TABLE audit_log ADD COLUMN client_ip  text   NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN user_agent text   NOT NULL DEFAULT '';

CREATE FUNCTION audit_teams(resource text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT COALESCE(CASE
        WHEN resource ~ '^submission:[0-9a-f-]{36}$' THEN
            (SELECT teams FROM submissions WHERE id = substr(resource, 12)::uuid)
        WHEN resource LIKE 'instance:%' THEN
            (SELECT teams FROM instances WHERE id = substr(resource, 10))
        WHEN resource LIKE 'task:%' THEN
            (SELECT i.teams || ARRAY(SELECT substr(g, 6) FROM unnest(t.candidate_groups) g WHERE g LIKE 'team:%')
               FROM tasks t JOIN instances i ON i.id = t.instance_id WHERE t.id = substr(resource, 6))
    END, '{}')
$$;

UPDATE audit_log SET teams = audit_teams(resource) WHERE resource ~ '^(submission|instance|task):';
CREATE INDEX audit_log_teams ON audit_log USING gin (teams);
