-- Operators retry a faulted instance (issue 20): Temporal resets its run to
-- where it faulted and the row goes back to running. retries counts them,
-- so each run's end is announced once (cop.instance.faulted, then after a
-- retry .completed or .faulted again).
ALTER TABLE instances ADD COLUMN retries integer NOT NULL DEFAULT 0;
