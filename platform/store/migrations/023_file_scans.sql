-- Uploads are scanned for malware by ClamAV's clamd before they are kept
-- (issue 24), owned by platform/cases. scan is the verdict: 'clean' (only
-- these may join a submission), 'infected' and 'unscannable' (never served
-- again: the bytes stay for an investigator, out of the API's reach), and
-- 'pending' for the files stored before scanning existed, which stay
-- readable, marked "not yet scanned", until the background scan reaches
-- them. A new upload is written 'clean' or not at all, so the default
-- applies to the rows already here alone.
ALTER TABLE files
    ADD COLUMN scan           text        NOT NULL DEFAULT 'pending'
        CHECK (scan IN ('pending', 'clean', 'infected', 'unscannable')),
    ADD COLUMN scan_signature text,
    ADD COLUMN scanned_at     timestamptz;

-- The background scan takes the oldest pending files first.
CREATE INDEX files_pending_scan ON files (created_at) WHERE scan = 'pending';
