package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
		var err error
		if out.Drafts, err = sweepDrafts(ctx, tx, r.Drafts); err != nil {
			return err
		}
		if out.Files, err = sweepFiles(ctx, tx, r.UnattachedFiles); err != nil {
			return err
		}
		out.IdempotencyKeys, err = store.SweepIdempotencyKeys(ctx, tx, r.IdempotencyKeys)
		return err
	})
	return out, err
}
