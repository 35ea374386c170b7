package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/problem"
	"cop/platform/store"
)

// Quotas bound what one person can hold that nobody has finished: open
// drafts, and the bytes of files uploaded but not yet in a submission.
const (
	MaxDraftsPerOwner         = 200
	MaxUnattachedBytesPerUser = 256 << 20
)

// ReasonQuota names a refusal over its owner's quota (drafts, files).
const ReasonQuota = "quota"

// lockOwner serialises one owner's quota checks until the transaction
// ends, so two requests at once cannot both take the last place.
func lockOwner(ctx context.Context, q store.Querier, owner string) error {
	if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('cop-quota:' || $1, 0))`, owner); err != nil {
		return fmt.Errorf("lock quota of %s: %w", owner, err)
	}
	return nil
}

// checkDraftQuota runs in the transaction that adds a draft.
func checkDraftQuota(ctx context.Context, q store.Querier, owner string) error {
	if err := lockOwner(ctx, q, owner); err != nil {
		return err
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE owner = $1`, owner).Scan(&n); err != nil {
		return fmt.Errorf("count drafts: %w", err)
	}
	if n >= MaxDraftsPerOwner {
		return problem.Conflictf("you have %d drafts, the most one person may keep; submit or delete some first", n).Because(ReasonQuota)
	}
	return nil
}

// checkUploadQuota runs in the transaction that stores a file of size bytes.
func checkUploadQuota(ctx context.Context, q store.Querier, owner string, size int64) error {
	if err := lockOwner(ctx, q, owner); err != nil {
		return err
	}
	var held int64
	if err := q.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM files WHERE owner = $1 AND submission_id IS NULL`, owner).Scan(&held); err != nil {
		return fmt.Errorf("sum uploads: %w", err)
	}
	if held+size > MaxUnattachedBytesPerUser {
		return problem.Conflictf("you have %d MiB of files not yet in a submission; the most is %d MiB: submit them, or wait a day for unused ones to be removed",
			held>>20, MaxUnattachedBytesPerUser>>20).Because(ReasonQuota)
	}
	return nil
}

// Retention is how long the sweep keeps what nobody finished.
type Retention struct {
	Drafts          time.Duration // since the draft was last saved
	UnattachedFiles time.Duration // since upload, unless a draft names the file
	IdempotencyKeys time.Duration // since the first answer
}

// Swept counts what one sweep removed.
type Swept struct{ Drafts, Files, IdempotencyKeys int64 }

// Sweep removes drafts nobody has saved within the retention, files that
// no submission and no draft names, and stored answers for Idempotency-Key
// retries older than their retention. Every replica may run it: each
// DELETE is idempotent.
func (s *Service) Sweep(ctx context.Context, r Retention) (Swept, error) {
	var out Swept
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM drafts WHERE updated_at < now() - make_interval(secs => $1)`, r.Drafts.Seconds())
		if err != nil {
			return fmt.Errorf("sweep drafts: %w", err)
		}
		out.Drafts = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM files f WHERE f.submission_id IS NULL AND f.created_at < now() - make_interval(secs => $1)
			AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.owner = f.owner AND strpos(d.data::text, f.id::text) > 0)`, r.UnattachedFiles.Seconds())
		if err != nil {
			return fmt.Errorf("sweep files: %w", err)
		}
		out.Files = tag.RowsAffected()
		out.IdempotencyKeys, err = store.SweepIdempotencyKeys(ctx, tx, r.IdempotencyKeys)
		return err
	})
	return out, err
}
