-- The case list's filters (issue 15): "worked on" finds the tasks an
-- officer claimed or completed on a case, by its business key.
CREATE INDEX tasks_case_key ON tasks (case_key) WHERE case_key <> '';
