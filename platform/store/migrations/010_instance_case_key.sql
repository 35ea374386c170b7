-- House redesign (issue 14): the instances service owns its table and reads
-- no other. An instance keeps its case's business key (immutable, as the
-- tasks do) instead of joining the cases table to show it.
ALTER TABLE instances ADD COLUMN case_key text NOT NULL DEFAULT '';
UPDATE instances i SET case_key = c.business_key FROM cases c WHERE c.id = i.case_id;
CREATE INDEX instances_case_key ON instances (case_key, started_at DESC) WHERE case_key <> '';
