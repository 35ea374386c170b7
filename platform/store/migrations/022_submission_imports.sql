-- Submissions imported from a team's spreadsheet (issue 22), owned by
-- platform/cases. A row is stored once: keyed by the form, the file's
-- checksum, the sheet and the row, so importing the same file again adds
-- nothing, and by a digest of what it says (answers, who, when), so a file
-- corrected and imported again adds only the rows it corrected. The
-- submission row is written in the same transaction, after this one (the
-- key is claimed first): hence the deferred reference.
CREATE TABLE submission_imports (
    submission_id uuid        PRIMARY KEY REFERENCES submissions (id) DEFERRABLE INITIALLY DEFERRED,
    form_name     text        NOT NULL,
    file_name     text        NOT NULL,
    file_checksum text        NOT NULL,
    sheet         text        NOT NULL,
    row_number    integer     NOT NULL,
    row_digest    text        NOT NULL,
    imported_by   text        NOT NULL,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (form_name, file_checksum, sheet, row_number),
    UNIQUE (form_name, row_digest)
);
