-- audit_teams as PL/pgSQL: each session plans its lookups once, where the
-- SQL function was planned again for every audit row (it halved the rate
-- of submissions in `make bench`).
CREATE OR REPLACE FUNCTION audit_teams(resource text) RETURNS text[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    found text[];
BEGIN
    IF resource ~ '^submission:[0-9a-f-]{36}$' THEN
        SELECT teams INTO found FROM submissions WHERE id = substr(resource, 12)::uuid;
    ELSIF resource LIKE 'instance:%' THEN
        SELECT teams INTO found FROM instances WHERE id = substr(resource, 10);
    ELSIF resource LIKE 'task:%' THEN
        SELECT i.teams || ARRAY(SELECT substr(g, 6) FROM unnest(t.candidate_groups) g WHERE g LIKE 'team:%')
          INTO found
          FROM tasks t JOIN instances i ON i.id = t.instance_id WHERE t.id = substr(resource, 6);
    END IF;
    RETURN coalesce(found, '{}');
END
$$;
