-- Returned for correction (userTask amend: submission). An amendment is a
-- new submission on the same case that corrects an earlier one; the
-- task that asked for it names the submission it amends; a draft of the
-- corrected answers names it too (one such draft per officer and
-- submission, so a double click resumes it).
ALTER TABLE submissions ADD COLUMN corrects uuid REFERENCES submissions (id);
CREATE INDEX submissions_corrects ON submissions (corrects) WHERE corrects IS NOT NULL;
ALTER TABLE tasks ADD COLUMN amends uuid;
CREATE INDEX tasks_amends_open ON tasks (amends) WHERE amends IS NOT NULL AND status = 'open';
ALTER TABLE drafts ADD COLUMN amends uuid;
CREATE UNIQUE INDEX drafts_owner_amends ON drafts (owner, amends) WHERE amends IS NOT NULL;
