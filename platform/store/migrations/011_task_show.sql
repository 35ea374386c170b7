-- What a user task's page shows beside its form (the userTask's show):
-- NULL shows every submission on the case the reader may read;
-- {submission} the one that started the instance; a list of JSON pointers
-- only those answers of it.
ALTER TABLE tasks ADD COLUMN show text[];
