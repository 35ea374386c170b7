package definitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
)

// An Upload is a definition an author has uploaded on the authoring pages
// and COP has checked (a dry run), kept as the author wrote it until they
// publish it: publishing is a second, deliberate step, and a form can be
// previewed in between. Only its author sees it. The table is
// authoring_uploads; rows a day old are swept.
type Upload struct {
	ID       string
	Owner    string
	Kind     string
	Name     string // "namespace/name" for a workflow
	Version  string
	Filename string
	Source   []byte // the text as uploaded, JSON or YAML
	// Preview is the answers of the author's walk through the form, and
	// PreviewPage the page they were last on; nothing is submitted.
	Preview     json.RawMessage
	PreviewPage string
	PublishedAt *time.Time
	CreatedAt   time.Time
}

// MaxUploadsPerAuthor bounds an author's unpublished uploads: staging one
// more forgets their oldest.
const MaxUploadsPerAuthor = 50

// UploadRetention is how long an unpublished upload is kept.
const UploadRetention = 24 * time.Hour

const uploadColumns = `id::text, owner, kind, name, version, filename, source, preview, preview_page, published_at, created_at`

func scanUpload(row pgx.Row) (Upload, error) {
	var u Upload
	var source string
	err := row.Scan(&u.ID, &u.Owner, &u.Kind, &u.Name, &u.Version, &u.Filename, &source, &u.Preview, &u.PreviewPage, &u.PublishedAt, &u.CreatedAt)
	u.Source = []byte(source)
	return u, err
}

// Stage keeps a checked upload for its author and returns it with its id;
// with published, it stands for a version already published (a preview
// of it). Unpublished uploads and the others are capped apart, so
// previewing published versions never forgets work not yet published.
func (s *Service) Stage(ctx context.Context, u Upload, published bool) (Upload, error) {
	var out Upload
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = scanUpload(tx.QueryRow(ctx, `INSERT INTO authoring_uploads (owner, kind, name, version, filename, source, preview, preview_page, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb), $8, CASE WHEN $9 THEN now() END) RETURNING `+uploadColumns,
			u.Owner, u.Kind, u.Name, u.Version, u.Filename, string(u.Source), nullJSON(u.Preview), u.PreviewPage, published))
		if err != nil {
			return fmt.Errorf("stage %s %s@%s: %w", u.Kind, u.Name, u.Version, err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM authoring_uploads WHERE owner = $1 AND (published_at IS NULL) = $3 AND id NOT IN (
			SELECT id FROM authoring_uploads WHERE owner = $1 AND (published_at IS NULL) = $3 ORDER BY created_at DESC, id LIMIT $2)`,
			u.Owner, MaxUploadsPerAuthor, !published)
		if err != nil {
			return fmt.Errorf("forget %s's oldest uploads: %w", u.Owner, err)
		}
		return nil
	})
	return out, err
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// StagedUpload is one of the owner's uploads; another's, or none, is not found.
func (s *Service) StagedUpload(ctx context.Context, owner, id string) (Upload, error) {
	if uuid.Validate(id) != nil {
		return Upload{}, problem.NotFoundf("no upload %s", id)
	}
	u, err := scanUpload(s.pool.QueryRow(ctx, `SELECT `+uploadColumns+` FROM authoring_uploads WHERE id = $1 AND owner = $2`, id, owner))
	if errors.Is(err, pgx.ErrNoRows) {
		return Upload{}, problem.NotFoundf("no upload %s", id)
	}
	if err != nil {
		return Upload{}, fmt.Errorf("read upload %s: %w", id, err)
	}
	return u, nil
}

// SavePreview keeps the answers of the owner's walk through an uploaded
// form and the page they are on.
func (s *Service) SavePreview(ctx context.Context, owner, id string, answers json.RawMessage, page string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE authoring_uploads SET preview = $3, preview_page = $4, updated_at = now()
		WHERE id = $1 AND owner = $2`, id, owner, string(answers), page)
	if err != nil {
		return fmt.Errorf("save the preview of upload %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return problem.NotFoundf("no upload %s", id)
	}
	return nil
}

// MarkPublished notes that an upload was published, so pressing Publish
// again shows what was published.
func (s *Service) MarkPublished(ctx context.Context, owner, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE authoring_uploads SET published_at = COALESCE(published_at, now()), updated_at = now()
		WHERE id = $1 AND owner = $2`, id, owner)
	if err != nil {
		return fmt.Errorf("mark upload %s published: %w", id, err)
	}
	return nil
}

// SweepUploads forgets uploads nobody has touched for UploadRetention.
func (s *Service) SweepUploads(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM authoring_uploads WHERE updated_at < now() - make_interval(secs => $1)`, UploadRetention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("sweep authoring uploads: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Catalogue lists the latest version of each definition of a kind, retired
// ones too, whose name or title holds search: the authors' list.
func (s *Service) Catalogue(ctx context.Context, kind, search string, limit int) ([]registry.Definition, error) {
	return registry.Catalogue(ctx, s.pool, kind, search, limit)
}
