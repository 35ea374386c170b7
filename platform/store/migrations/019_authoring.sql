-- Authoring (issue 19). An upload on the authoring pages is checked
-- (a dry run) and kept here, the author's own, until they publish it:
-- publishing is a second, deliberate step, and a form can be previewed in
-- between. preview holds the answers of the author's walk through the form
-- (nothing is submitted); rows older than a day are swept.
CREATE TABLE authoring_uploads (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner        text NOT NULL,
    kind         text NOT NULL,
    name         text NOT NULL,
    version      text NOT NULL,
    filename     text NOT NULL DEFAULT '',
    source       text NOT NULL,
    preview      jsonb NOT NULL DEFAULT '{}',
    preview_page text NOT NULL DEFAULT '',
    published_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authoring_uploads_owner ON authoring_uploads (owner, created_at DESC);
CREATE INDEX authoring_uploads_age ON authoring_uploads (updated_at);
