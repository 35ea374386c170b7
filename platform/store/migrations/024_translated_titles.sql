-- English and Welsh (issue 24): a user task's title and a notification's
-- title and body in the other languages the workflow translates them into
-- (document.metadata.translations), by language. Rows written before this
-- migration have none and read in English.
ALTER TABLE tasks ADD COLUMN titles jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE notifications ADD COLUMN translations jsonb NOT NULL DEFAULT '{}'::jsonb;
